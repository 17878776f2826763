package org.llmri.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import org.llmri.LlmriException;

/**
 * How a dataset records its model argument so that a resume from any working directory, or of a moved
 * study folder, finds the same model: a model folder is recorded relative to the dataset (an absolute
 * folder stays absolute); a repo id is recorded as given.
 */
public final class ModelPath {
    private ModelPath() {}

    /** The model argument as the dataset at {@code root} records it. */
    public static String record(String model, Path root) {
        Path p = asPath(model);
        if (p == null || !Files.isDirectory(p) || p.isAbsolute()) return model;
        Path rel = root.toAbsolutePath().normalize().relativize(p.toAbsolutePath().normalize());
        String s = rel.toString().replace('\\', '/');
        return s.startsWith(".") ? s : "./" + s;
    }

    /** The argument to load the model from, given what the dataset at {@code root} recorded. */
    public static String resolve(String recorded, Path root) {
        Path p = asPath(recorded);
        if (p == null) return recorded;
        if (!p.isAbsolute()) {
            Path beside = root.resolve(p).normalize();
            if (Files.isDirectory(beside)) return beside.toString();
        }
        if (recorded.startsWith(".") || p.isAbsolute()) {
            if (Files.isDirectory(p) && p.isAbsolute()) return recorded;
            throw new LlmriException(root.resolve(Dataset.STUDY_FILE) + ": the model folder '" + recorded + "' recorded there is not found"
                    + (p.isAbsolute() ? "" : " (relative to " + root + ")") + "; give --model DIR");
        }
        return recorded;
    }

    private static Path asPath(String model) {
        try {
            return Path.of(model);
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }
}
