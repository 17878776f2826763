package org.llmri.paradigm;

/**
 * The "random strings" task: strings of letters, digits and punctuation with a length drawn uniformly from
 * [minChars, maxChars]. Each string depends only on the study seed, the task id, the run and its position, so a
 * plan can be rebuilt, or one prompt regenerated, from the study alone.
 */
public final class RandomStrings {
    /** Letters, digits and ASCII punctuation; no whitespace. */
    public static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private RandomStrings() {}

    /**
     * @param run   1-based run number
     * @param index 0-based position among the run's strings for this task
     */
    public static String generate(long studySeed, String taskId, int run, int index, int minChars, int maxChars) {
        if (minChars < 1 || maxChars < minChars) {
            throw new IllegalArgumentException("need 1 <= minChars <= maxChars, got " + minChars + ".." + maxChars);
        }
        SplitMix64 rng = new SplitMix64(SplitMix64.derive(studySeed, "random_strings", taskId, run, index));
        int length = minChars + rng.nextInt(maxChars - minChars + 1);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALPHABET.charAt(rng.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }
}
