package org.llmri.paradigm;

/** A block's condition: "on" blocks hold the task's prompts, "off" blocks hold control prompts. */
public enum Condition {
    ON("on", "task"),
    OFF("off", "control");

    private final String label;
    private final String trialType;

    Condition(String label, String trialType) {
        this.label = label;
        this.trialType = trialType;
    }

    /** The word used in study YAML and in {@link PromptSlot#condition()}: "on" or "off". */
    public String label() {
        return label;
    }

    /** The events file's trial_type: "task" for on-blocks, "control" for off-blocks. */
    public String trialType() {
        return trialType;
    }

    public static Condition parse(String label) {
        for (Condition c : values()) {
            if (c.label.equals(label)) return c;
        }
        return null;
    }
}
