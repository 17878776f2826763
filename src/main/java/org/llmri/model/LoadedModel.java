package org.llmri.model;

import java.nio.file.Files;
import java.nio.file.Path;
import org.llmri.LlmriException;
import org.llmri.model.weights.ModelWeights;
import org.llmri.tensor.Threads;

/**
 * A model folder opened for running: its model_type, its memory-mapped weights and the runtime over
 * them, built by the registered {@link Architecture} for that model_type.
 */
public record LoadedModel(Path dir, String modelType, ModelWeights weights, LanguageModel model) implements AutoCloseable {
    public static LoadedModel open(Path dir) {
        if (!Files.isDirectory(dir)) throw new LlmriException(dir + ": no such model folder");
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) throw new LlmriException(dir + ": no config.json (not a Hugging Face model folder)");
        String type = Architectures.modelTypeOf(configFile);
        Architecture.Binder binder = Architectures.forModelType(type, configFile).read(configFile);
        ModelWeights weights = ModelWeights.open(dir);
        try {
            return new LoadedModel(dir, type, weights, binder.bind(weights, Threads.fromEnvironment()));
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
