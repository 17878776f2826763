package org.llmri.model.weights;

import java.nio.file.Path;
import java.util.Collection;

/** Writes a PyTorch checkpoint (pytorch_model.bin) from tests outside this package. */
public final class CheckpointFiles {
    private CheckpointFiles() {}

    public static void writeBin(Path file, Collection<Tensor> tensors) {
        TorchCheckpointWriter.write(file, tensors.stream().map(TensorSpec::of).toList());
    }
}
