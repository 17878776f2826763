package org.llmri.paradigm;

/**
 * Whether each prompt starts from an empty context ({@code fresh}) or is appended to the run's
 * running context, after the previous prompt and its generated tokens ({@code continuous}).
 * Either way only generated tokens are time points.
 */
public enum ContextMode {
    FRESH("fresh"),
    CONTINUOUS("continuous");

    private final String label;

    ContextMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static ContextMode parse(String label) {
        for (ContextMode m : values()) {
            if (m.label.equals(label)) return m;
        }
        return null;
    }
}
