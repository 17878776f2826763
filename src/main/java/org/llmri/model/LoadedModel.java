package org.llmri.model;

import java.nio.file.Files;
import java.nio.file.Path;
import org.llmri.LlmriException;
import org.llmri.tensor.Threads;

/** A model folder opened for running: its config, its memory-mapped weights and the runtime over them. */
public record LoadedModel(Path dir, OptConfig config, ModelWeights weights, OptModel model) implements AutoCloseable {
    public static LoadedModel open(Path dir) {
        if (!Files.isDirectory(dir)) throw new LlmriException(dir + ": no such model folder");
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) throw new LlmriException(dir + ": no config.json (not a Hugging Face model folder)");
        OptConfig config = OptConfig.read(configFile);
        ModelWeights weights = ModelWeights.open(dir);
        try {
            return new LoadedModel(dir, config, weights, new OptModel(OptWeights.bind(config, weights), Threads.fromEnvironment()));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    @Override
    public void close() {
        model.close();
        weights.close();
    }
}
