package org.llmri.paradigm;

/** How the scanner stores activations on disk. */
public enum StorageDtype {
    F32("f32"),
    F16("f16");

    private final String label;

    StorageDtype(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static StorageDtype parse(String label) {
        for (StorageDtype d : values()) {
            if (d.label.equals(label)) return d;
        }
        return null;
    }
}
