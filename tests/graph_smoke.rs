use wgzero::graph::{CompileOptions, Graph, Init, Program, autodiff};
use wgzero::testing::on_every_backend;

#[test]
fn tiny_mlp_gradient_matches_finite_differences() {
    on_every_backend(|compute| {
        let g = Graph::new();
        let x = g.input("x", [4, 3]);
        let w = g.parameter("w", [3, 5], Init::Normal { std: 0.5 });
        let b = g.parameter("b", [5], Init::Normal { std: 0.5 });
        let h = g.tanh(g.linear(x, w, Some(b)));
        let loss = g.mean_all(g.square(h));
        let grads = autodiff::gradients(&g, loss, &[w, b]).unwrap();
        g.output("loss", loss);
        g.output("dw", grads[0]);
        g.output("db", grads[1]);
        let mut p = Program::compile(&g, compute, &CompileOptions::default()).unwrap();
        println!("{}", p.kernel_listing());
        let xs: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        p.write("x", &xs).unwrap();
        p.run().unwrap();
        let dw = p.read("dw").unwrap();
        let w0 = p.read("w").unwrap();
        for i in 0..15 {
            let mut wp = w0.clone();
            wp[i] += 1e-2;
            p.write("w", &wp).unwrap();
            p.run().unwrap();
            let lp = p.read("loss").unwrap()[0];
            wp[i] -= 2e-2;
            p.write("w", &wp).unwrap();
            p.run().unwrap();
            let lm = p.read("loss").unwrap()[0];
            let numeric = (lp - lm) / 2e-2;
            assert!(
                (numeric - dw[i]).abs() < 1e-3 + 1e-2 * numeric.abs(),
                "{i}: {numeric} vs {}",
                dw[i]
            );
        }
    });
}
