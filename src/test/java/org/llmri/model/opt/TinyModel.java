package org.llmri.model.opt;

import java.nio.file.Path;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.weights.DType;

/** The tests' usual subject: the random {@code tiny} OPT preset in f32 safetensors, with a 300-token random tokenizer. */
public final class TinyModel {
    private TinyModel() {}

    /** Writes the model into {@code dir} and returns it. */
    public static Path write(Path dir, long seed) {
        RandomModel.write(dir, OptConfig.preset("tiny"), seed, DType.F32, RandomModel.Format.SAFETENSORS);
        RandomTokenizer.write(dir, 300);
        return dir;
    }
}
