package org.llmri.model.run;

import org.llmri.LlmriException;
import org.llmri.tensor.Ops;
import org.llmri.tensor.Threads;

/** The activation functions config.json names ({@code activation_function}, {@code hidden_act}), as transformers' ACT2FN computes them. */
public enum ActivationFunction {
    /** Exact GELU, x Phi(x), with erf. */
    GELU("gelu"),
    /** The tanh approximation (GPT-2's {@code gelu_new}; {@code gelu_pytorch_tanh} is the same function). */
    GELU_TANH("gelu_new"),
    RELU("relu"),
    /** x sigmoid(x) (Llama's {@code silu}, also called {@code swish}). */
    SILU("silu");

    private final String hfName;

    ActivationFunction(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    public static ActivationFunction parse(String name, String field) {
        return switch (name) {
            case "gelu" -> GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> GELU_TANH;
            case "relu" -> RELU;
            case "silu", "swish" -> SILU;
            default -> throw new LlmriException("field '" + field + "' is '" + name + "'; llmri implements gelu, gelu_new, "
                    + "gelu_pytorch_tanh, relu and silu");
        };
    }

    /** Applies it in place over [0, n). */
    public void apply(Threads threads, float[] x, int n) {
        switch (this) {
            case GELU -> Ops.gelu(threads, x, n);
            case GELU_TANH -> Ops.geluTanh(threads, x, n);
            case RELU -> Ops.relu(x, n);
            case SILU -> Ops.silu(threads, x, n);
        }
    }
}
