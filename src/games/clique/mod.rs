//! The clique game on K_n.
