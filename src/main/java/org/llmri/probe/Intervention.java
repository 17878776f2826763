package org.llmri.probe;

import org.llmri.LlmriException;

/**
 * A change made to some units of a tap during the forward pass, at every position. Sealed: zero, set
 * to a value, scale, add a vector, or replace with a stored mean.
 */
public sealed interface Intervention {
    /** Applies the change to value v of unit {@code unit} (index within the tap). */
    float apply(int unit, float v);

    record Zero() implements Intervention {
        public float apply(int unit, float v) {
            return 0f;
        }
    }

    record Set(float value) implements Intervention {
        public float apply(int unit, float v) {
            return value;
        }
    }

    record Scale(float factor) implements Intervention {
        public float apply(int unit, float v) {
            return v * factor;
        }
    }

    /** Adds vector[unit] (a steering vector over the whole tap). */
    record Add(float[] vector) implements Intervention {
        public float apply(int unit, float v) {
            return v + vector[unit];
        }
    }

    /** Replaces each unit with its stored mean (mean ablation). */
    record Mean(float[] mean) implements Intervention {
        public float apply(int unit, float v) {
            return mean[unit];
        }
    }

    /** Parses {@code zero}, {@code set:V}, {@code scale:F}, {@code add:V} (a constant vector). */
    static Intervention parse(String spec, int width) {
        String s = spec.strip();
        try {
            if (s.equals("zero")) return new Zero();
            if (s.startsWith("set:")) return new Set(Float.parseFloat(s.substring(4)));
            if (s.startsWith("scale:")) return new Scale(Float.parseFloat(s.substring(6)));
            if (s.startsWith("add:")) {
                float[] v = new float[width];
                java.util.Arrays.fill(v, Float.parseFloat(s.substring(4)));
                return new Add(v);
            }
        } catch (NumberFormatException e) {
            throw new LlmriException("intervention '" + spec + "': not a number after ':'");
        }
        throw new LlmriException("intervention '" + spec + "': expected zero, set:V, scale:F or add:V");
    }
}
