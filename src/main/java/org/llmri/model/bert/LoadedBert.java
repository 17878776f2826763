package org.llmri.model.bert;

import java.nio.file.Files;
import java.nio.file.Path;
import org.llmri.LlmriException;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.OnnxModel;
import org.llmri.tensor.Threads;

/**
 * A BERT model folder opened for running, in either layout: Hugging Face ({@code config.json} with
 * {@code model.safetensors} or {@code pytorch_model.bin}) or transformers.js ({@code config.json} with
 * {@code onnx/model.onnx}). The HF weights win when both are present, as transformers' loader prefers them.
 */
public record LoadedBert(Path dir, BertConfig config, BertWeights weights, BertModel model, AutoCloseable files)
        implements AutoCloseable {
    public static final String ONNX = "onnx/model.onnx";

    /** Whether a model folder's config.json declares {@code model_type: bert} (false if it has none or it is not JSON). */
    public static boolean isBert(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) return false;
        try {
            return BertConfig.isBert(new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile()));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Which layout the weights are read from: the HF weights file, or onnx/model.onnx. */
    public static Path weightsFile(Path dir) {
        return ModelWeights.weightsIndexOrFile(dir).orElse(dir.resolve(ONNX));
    }

    public static LoadedBert open(Path dir, Threads threads) {
        if (!Files.isDirectory(dir)) throw new LlmriException(dir + ": no such model folder");
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) throw new LlmriException(dir + ": no config.json (not a Hugging Face model folder)");
        BertConfig config = BertConfig.read(configFile);
        AutoCloseable files;
        BertWeights weights;
        if (ModelWeights.weightsIndexOrFile(dir).isPresent()) {
            ModelWeights w = ModelWeights.open(dir);
            files = w;
            weights = bindOrClose(() -> BertWeights.bind(config, w), w);
        } else if (Files.isRegularFile(dir.resolve(ONNX))) {
            OnnxModel onnx = OnnxModel.open(dir.resolve(ONNX));
            files = onnx;
            weights = bindOrClose(() -> BertWeights.bind(config, onnx), onnx);
        } else {
            throw new LlmriException(dir + ": no model weights (expected " + ModelWeights.SAFETENSORS + ", "
                    + ModelWeights.PYTORCH_BIN + " or " + ONNX + ")");
        }
        BertModel model = bindOrClose(() -> new BertModel(weights, threads), files);
        return new LoadedBert(dir, config, weights, model, files);
    }

    private static <T> T bindOrClose(java.util.function.Supplier<T> body, AutoCloseable files) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            try {
                files.close();
            } catch (Exception ignored) {
                // the first failure is the one to report
            }
            throw e;
        }
    }

    @Override
    public void close() {
        model.close();
        try {
            files.close();
        } catch (Exception e) {
            throw new LlmriException(dir + ": cannot close (" + e.getMessage() + ")");
        }
    }
}
