package org.llmri.glm;

import org.llmri.LlmriException;

/** Which side of a t statistic counts as significant. */
public enum Tail {
    TWO_SIDED, POSITIVE, NEGATIVE;

    public static Tail parse(String s) {
        return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "two-sided", "two", "both" -> TWO_SIDED;
            case "positive", "pos", "greater" -> POSITIVE;
            case "negative", "neg", "less" -> NEGATIVE;
            default -> throw new LlmriException("--tail: expected two-sided, positive or negative, got '" + s + "'");
        };
    }

    /** The statistic whose large values are significant: |t|, t or -t. */
    double signed(double t) {
        return switch (this) {
            case TWO_SIDED -> Math.abs(t);
            case POSITIVE -> t;
            case NEGATIVE -> -t;
        };
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
