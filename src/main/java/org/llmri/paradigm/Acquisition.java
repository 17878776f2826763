package org.llmri.paradigm;

/**
 * How time points are acquired.
 *
 * <ul>
 *   <li>{@code generate} (decoders; the paper's): each prompt is answered with generated tokens, and one
 *       time point is one generated token, with the activations at the position that produced it.
 *   <li>{@code read} (encoders and decoders): each prompt is read in one forward pass, and each of its
 *       tokens is one time point. Prompts differ in length, so do their events.
 * </ul>
 *
 * @param mode              generate or read
 * @param keepSpecialTokens read only: also make time points of special tokens the tokenizer adds (BOS, [CLS], [SEP]);
 *                          by default they are left out, since they are the same in every prompt
 * @param batchSize         read only: prompts read in one forward pass; 0 = a whole run at once
 */
public record Acquisition(Mode mode, boolean keepSpecialTokens, int batchSize) {
    /** The default: generation, as the paper images its subject. */
    public static final Acquisition GENERATE = new Acquisition(Mode.GENERATE, false, 8);

    public enum Mode {
        GENERATE("generate"),
        READ("read");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Mode parse(String label) {
            for (Mode m : values()) {
                if (m.label.equals(label)) return m;
            }
            return null;
        }
    }

    public Acquisition {
        java.util.Objects.requireNonNull(mode, "mode");
    }

    public boolean reads() {
        return mode == Mode.READ;
    }
}
