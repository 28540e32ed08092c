//! An AlphaZero-style residual CNN over NHWC boards: a 3×3 stem, residual blocks of two
//! 3×3 convolutions, a convolutional policy head (`planes` logits per square, flattened
//! square-major as AlphaZero's 8×8×73 chess encoding) and a small value head.

use serde::{Deserialize, Serialize};

use super::{Heads, Network, he_normal};
use crate::graph::{Graph, Init, Tensor};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResNet {
    pub height: usize,
    pub width: usize,
    /// Input planes per square.
    pub input_planes: usize,
    pub filters: usize,
    pub blocks: usize,
    /// Policy logits per square: actions = height · width · policy_planes.
    pub policy_planes: usize,
    /// Width of the value head's hidden layer.
    pub value_hidden: usize,
}

impl ResNet {
    /// The shape the benchmark uses: 8×8×119 input, 64 filters, 3 blocks,
    /// 4672 = 8×8×73 policy logits.
    pub fn chess_benchmark() -> Self {
        Self {
            height: 8,
            width: 8,
            input_planes: 119,
            filters: 64,
            blocks: 3,
            policy_planes: 73,
            value_hidden: 64,
        }
    }

    fn conv(graph: &Graph, name: &str, x: Tensor, kernel: usize, out: usize, init: Init) -> Tensor {
        let (weight, bias) = Self::conv_parameters(graph, name, x, kernel, out, init);
        graph.add(graph.conv2d(x, weight), bias)
    }

    fn conv_parameters(
        graph: &Graph,
        name: &str,
        x: Tensor,
        kernel: usize,
        out: usize,
        init: Init,
    ) -> (Tensor, Tensor) {
        let channels = x.shape.dim(-1);
        let weight = graph.parameter(
            &format!("{name}.weight"),
            [kernel, kernel, channels, out],
            init,
        );
        let bias = graph.parameter(&format!("{name}.bias"), [out], Init::Zeros);
        (weight, bias)
    }
}

impl Network for ResNet {
    fn observation_len(&self) -> usize {
        self.height * self.width * self.input_planes
    }

    fn num_actions(&self) -> usize {
        self.height * self.width * self.policy_planes
    }

    fn forward(&self, graph: &Graph, observations: Tensor) -> Heads {
        let batch = observations.shape.dim(0);
        let board = graph.reshape(
            observations,
            [batch, self.height, self.width, self.input_planes],
        );
        // Input planes are padded with zero planes to a multiple of 4, which lets the stem's
        // convolution read whole vec4s of channels (119 → 120 for chess: the stem runs
        // about twice as fast, and the extra plane, always zero, changes nothing).
        let padding = self.input_planes.next_multiple_of(4) - self.input_planes;
        let board = if padding > 0 {
            let zeros = graph.fill(0.0, [batch, self.height, self.width, padding]);
            graph.concat(&[board, zeros], -1)
        } else {
            board
        };
        let f = self.filters;
        let mut x = graph.relu(Self::conv(
            graph,
            "stem",
            board,
            3,
            f,
            he_normal(9 * self.input_planes),
        ));
        for block in 0..self.blocks {
            let h = graph.relu(Self::conv(
                graph,
                &format!("block{block}.a"),
                x,
                3,
                f,
                he_normal(9 * f),
            ));
            let h = Self::conv(graph, &format!("block{block}.b"), h, 3, f, he_normal(9 * f));
            x = graph.relu(graph.add(h, x));
        }
        let small = Init::Normal {
            std: (1.0 / f as f32).sqrt() * 0.1,
        };
        // The two heads' 1×1 convolutions run as one product (`Graph::sibling_convs`): the
        // value plane takes one of the spare columns of the policy head's tiles (73 of 80).
        let policy = Self::conv_parameters(graph, "policy", x, 1, self.policy_planes, small);
        let value = Self::conv_parameters(graph, "value.conv", x, 1, 1, he_normal(f));
        let [policy, value_conv] = graph
            .sibling_convs(x, &[policy, value])
            .try_into()
            .expect("two layers in, two out");
        let policy_logits = graph.reshape(policy, [batch, self.num_actions()]);
        let value_plane = graph.relu(value_conv);
        let squares = self.height * self.width;
        let flat = graph.reshape(value_plane, [batch, squares]);
        let hidden_weight = graph.parameter(
            "value.hidden.weight",
            [squares, self.value_hidden],
            he_normal(squares),
        );
        let hidden_bias = graph.parameter("value.hidden.bias", [self.value_hidden], Init::Zeros);
        let hidden = graph.relu(graph.linear(flat, hidden_weight, Some(hidden_bias)));
        let out_weight = graph.parameter("value.out.weight", [self.value_hidden, 1], small);
        let out_bias = graph.parameter("value.out.bias", [1], Init::Zeros);
        let value = graph.tanh(graph.linear(hidden, out_weight, Some(out_bias)));
        Heads {
            policy_logits,
            value,
        }
    }
}
