package org.llmri.paradigm;

/**
 * How the subject answers each prompt.
 *
 * @param maxNewTokens tokens generated per prompt; with {@code suppressEos} also the time points per prompt
 * @param strategy     greedy (argmax) or seeded sampling
 * @param temperature  sampling temperature (> 0); ignored by greedy
 * @param topK         keep only the k most likely tokens when sampling; 0 = no limit
 * @param topP         nucleus sampling mass in (0, 1]; 1 = no limit
 * @param suppressEos  never emit end-of-sequence, so every prompt yields exactly maxNewTokens time points
 * @param batchSize    prompts generated together; 0 = a whole run as one batch
 */
public record Generation(int maxNewTokens, Strategy strategy, double temperature, int topK, double topP,
                         boolean suppressEos, int batchSize) {

    public enum Strategy {
        GREEDY("greedy"),
        SAMPLE("sample");

        private final String label;

        Strategy(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Strategy parse(String label) {
            for (Strategy s : values()) {
                if (s.label.equals(label)) return s;
            }
            return null;
        }
    }

    public Generation {
        java.util.Objects.requireNonNull(strategy, "strategy");
    }

    public Generation withMaxNewTokens(int n) {
        return new Generation(n, strategy, temperature, topK, topP, suppressEos, batchSize);
    }

    public Generation withBatchSize(int n) {
        return new Generation(maxNewTokens, strategy, temperature, topK, topP, suppressEos, n);
    }
}
