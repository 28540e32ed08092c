//! The witnesses of one search, deduplicated up to isomorphism of the colour-0 graph (the
//! archive's notion, by the same canonical form).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Colouring;
use crate::games::clique::canonical::canonical_form;
use crate::games::clique::graph6;

/// One class of witnesses up to isomorphism.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessEntry {
    /// The first witness of the class found: its colour-0 graph in graph6.
    pub graph6: String,
    /// The canonical form of that graph in graph6 (equal for isomorphic graphs).
    pub canonical_graph6: String,
    /// How many times a witness of this class was found.
    pub found: u64,
}

/// Witness classes in order of discovery.
#[derive(Clone, Debug, Default)]
pub struct WitnessSet {
    entries: Vec<WitnessEntry>,
    by_canonical: HashMap<String, usize>,
}

impl WitnessSet {
    /// The set holding `entries` (as a checkpoint stored them); a class listed twice is an
    /// error naming it.
    pub fn from_entries(entries: Vec<WitnessEntry>) -> Result<Self, String> {
        let mut set = Self::default();
        for entry in entries {
            if set.by_canonical.contains_key(&entry.canonical_graph6) {
                return Err(format!(
                    "witness class {} is listed twice",
                    entry.canonical_graph6
                ));
            }
            set.by_canonical
                .insert(entry.canonical_graph6.clone(), set.entries.len());
            set.entries.push(entry);
        }
        Ok(set)
    }

    /// Adds a (verified) witness; returns whether its class is new.
    pub fn insert(&mut self, colouring: &Colouring) -> bool {
        let canonical = graph6::encode(
            colouring.n(),
            &canonical_form(colouring.n(), colouring.adjacency()),
        );
        if let Some(&index) = self.by_canonical.get(&canonical) {
            self.entries[index].found += 1;
            return false;
        }
        self.by_canonical
            .insert(canonical.clone(), self.entries.len());
        self.entries.push(WitnessEntry {
            graph6: colouring.graph6(),
            canonical_graph6: canonical,
            found: 1,
        });
        true
    }

    /// Classes, in order of discovery.
    pub fn entries(&self) -> &[WitnessEntry] {
        &self.entries
    }

    /// Distinct classes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramsey::circulant::Circulant;

    #[test]
    fn relabelled_witnesses_fall_in_one_class() {
        let paley = Circulant::from_distances(17, &[1, 2, 4, 8]).colouring();
        let non_residues = Circulant::from_distances(17, &[3, 5, 6, 7]).colouring();
        let mut set = WitnessSet::default();
        assert!(set.insert(&paley));
        // Multiplying by 3 (a non-residue) maps the residues onto the non-residues.
        assert!(!set.insert(&non_residues));
        assert!(!set.insert(&paley));
        assert_eq!(set.len(), 1);
        assert_eq!(set.entries()[0].found, 3);
        assert!(set.insert(&Colouring::all_colour_one(17)));
        let again = WitnessSet::from_entries(set.entries().to_vec()).unwrap();
        assert_eq!(again.entries(), set.entries());
        let twice = [set.entries()[0].clone(), set.entries()[0].clone()];
        assert!(WitnessSet::from_entries(twice.to_vec()).is_err());
    }
}
