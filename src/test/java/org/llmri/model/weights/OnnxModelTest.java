package org.llmri.model.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class OnnxModelTest {
    @TempDir Path dir;

    private static OnnxWriter graph() {
        return OnnxWriter.message()
                .message(1, OnnxWriter.node("MatMul", List.of("x", "onnx::MatMul_1"), List.of("y")))
                .message(5, OnnxWriter.floatTensor("onnx::MatMul_1", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}))
                .message(11, OnnxWriter.valueInfo("x"))
                .message(12, OnnxWriter.valueInfo("y"));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    @Test
    void readsNodesInitializersAndGraphIoAsViewsOfTheMappedFile() throws IOException {
        Path f = write("m.onnx", OnnxWriter.model(graph()));
        try (OnnxModel m = OnnxModel.open(f)) {
            assertThat(m.inputs()).containsExactly("x");
            assertThat(m.outputs()).containsExactly("y");
            assertThat(m.nodes()).containsExactly(new OnnxModel.Node("MatMul_y", "MatMul", List.of("x", "onnx::MatMul_1"), List.of("y")));
            var init = m.initializers().get("onnx::MatMul_1");
            assertThat(init.dims()).containsExactly(2, 3);
            assertThat(init.data().isMapped()).as("raw_data is a view of the mapped file, not a copy").isTrue();
            assertThat(init.tensor().orElseThrow().toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        }
    }

    @Test
    void readsExternalDataBesideTheModel() throws IOException {
        write("w.bin", OnnxWriter.littleEndian(new float[] {9, 8, 7, 1, 2, 3, 4}));
        OnnxWriter g = OnnxWriter.message().message(5, OnnxWriter.externalTensor("w", new long[] {2, 2}, "w.bin", 12, 16));
        try (OnnxModel m = OnnxModel.open(write("m.onnx", OnnxWriter.model(g)))) {
            assertThat(m.initializers().get("w").tensor().orElseThrow().toFloatArray()).containsExactly(1, 2, 3, 4);
        }
    }

    private void assertRefused(Path f, String... fragments) {
        assertThatThrownBy(() -> OnnxModel.open(f).close())
                .isInstanceOf(LlmriException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith(f.toString()).doesNotContain("\n");
                    for (String s : fragments) assertThat(e.getMessage()).contains(s);
                });
    }

    @Test
    void refusesABadVarint() throws IOException {
        byte[] bad = new byte[16];
        bad[0] = 0x3a; // field 7, length-delimited, then a length that never ends
        Arrays.fill(bad, 1, 16, (byte) 0xff);
        assertRefused(write("varint.onnx", bad), "bad varint");
    }

    @Test
    void refusesATruncatedFile() throws IOException {
        byte[] whole = OnnxWriter.model(graph());
        assertRefused(write("cut.onnx", Arrays.copyOf(whole, whole.length - 7)), "remain");
    }

    @Test
    void refusesALengthBeyondTheFileWithoutAllocatingIt() throws IOException {
        // a graph that claims 2^40 bytes: refused from the length alone, nothing allocated
        byte[] huge = OnnxWriter.message().varint(1, 8).bytes();
        byte[] tail = {0x3a, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x20, 1, 2};
        byte[] f = Arrays.copyOf(huge, huge.length + tail.length);
        System.arraycopy(tail, 0, f, huge.length, tail.length);
        assertRefused(write("huge.onnx", f), "claims 1099511627776 bytes");
    }

    @Test
    void refusesExternalDataOutsideItsFile() throws IOException {
        write("w.bin", new byte[16]);
        OnnxWriter g = OnnxWriter.message().message(5, OnnxWriter.externalTensor("w", new long[] {2, 2}, "w.bin", 8, 16));
        assertRefused(write("m.onnx", OnnxWriter.model(g)), "'w'", "w.bin, which has 16");
    }

    @Test
    void refusesExternalDataOutsideTheModelsFolder() throws IOException {
        Files.createDirectories(dir.resolve("model"));
        write("secret.bin", new byte[16]);
        OnnxWriter g = OnnxWriter.message().message(5, OnnxWriter.externalTensor("w", new long[] {2, 2}, "../secret.bin", 0, 16));
        Path f = dir.resolve("model/m.onnx");
        Files.write(f, OnnxWriter.model(g));
        assertRefused(f, "outside the model's folder");
    }

    @Test
    void refusesExternalDataThatLinksOutOfTheModelsFolder() throws IOException {
        Files.createDirectories(dir.resolve("model"));
        write("secret.bin", new byte[16]);
        Files.createSymbolicLink(dir.resolve("model/w.bin"), dir.resolve("secret.bin"));
        OnnxWriter g = OnnxWriter.message().message(5, OnnxWriter.externalTensor("w", new long[] {2, 2}, "w.bin", 0, 16));
        Path f = dir.resolve("model/m.onnx");
        Files.write(f, OnnxWriter.model(g));
        assertRefused(f, "links outside the model's folder");
    }

    @Test
    void refusesATensorWhoseBytesDisagreeWithItsShape() throws IOException {
        OnnxWriter g = OnnxWriter.message().message(5, OnnxWriter.floatTensor("w", new long[] {2, 3}, new float[] {1, 2, 3}));
        assertRefused(write("m.onnx", OnnxWriter.model(g)), "'w' has 12 bytes of data", "needs 24");
    }

    @Test
    void refusesAFileWithNoGraph() throws IOException {
        assertRefused(write("empty.onnx", OnnxWriter.message().varint(1, 8).bytes()), "no graph");
    }

    @Test
    void refusesAMissingFile() {
        assertRefused(dir.resolve("absent.onnx"), "no such file");
    }
}
