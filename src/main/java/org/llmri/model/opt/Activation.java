package org.llmri.model.opt;

import org.llmri.LlmriException;

/** The feed-forward activations OPT checkpoints use, named as Hugging Face's {@code activation_function}. */
public enum Activation {
    /** Exact GELU, x·Φ(x) with the error function (Hugging Face's "gelu", not the tanh approximation). */
    GELU("gelu"),
    RELU("relu");

    private final String hfName;

    Activation(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    public static Activation parse(String hfName) {
        for (Activation a : values()) {
            if (a.hfName.equals(hfName)) return a;
        }
        throw new LlmriException("activation_function '" + hfName + "' is not supported (llmri runs gelu and relu)");
    }
}
