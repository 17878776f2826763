package org.llmri.model.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

@Timeout(30)
class SafetensorsTest {
    @TempDir Path dir;

    private Path file(long headerLen, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(h);
        Path p = dir.resolve("model.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private Path file(String header, int dataBytes) throws IOException {
        return file(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refusal(Path p) {
        return assertThatThrownBy(() -> {
            try (Arena arena = Arena.ofConfined()) {
                Safetensors.map(p, arena);
            }
        }).isInstanceOf(LlmriException.class).hasMessageStartingWith(p.toString()).hasMessageNotContaining("\n");
    }

    @Test
    void readsTensorsIgnoringMetadata() throws IOException {
        Path p = file("{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12);
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> t = Safetensors.map(p, arena);
            assertThat(t.keySet()).containsExactly("a", "b");
            assertThat(t.get("b").dtype()).isEqualTo(DType.F16);
            assertThat(t.get("a").data().byteSize()).isEqualTo(8);
        }
    }

    @Test
    void roundTripsThroughWriter() {
        Tensor a = Tensor.ofFloats("x.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, -0f, 1e-30f});
        Tensor s = Tensor.ofFloats("scalar", new long[] {}, new float[] {7});
        Path p = dir.resolve("out.safetensors");
        Safetensors.write(p, List.of(a, s));
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> t = Safetensors.map(p, arena);
            assertThat(t.get("x.weight").toFloatArray()).containsExactly(1, -2, 3.5f, 0, -0f, 1e-30f);
            assertThat(t.get("x.weight").shape()).containsExactly(2, 3);
            assertThat(t.get("scalar").rank()).isZero();
            assertThat(t.get("scalar").getFloat(0)).isEqualTo(7f);
            assertThat(readHeaderLength(p) % 8).as("header padded to 8 bytes").isZero();
        }
    }

    private static long readHeaderLength(Path p) {
        try {
            return ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void headerLongerThanFile() throws IOException {
        refusal(file(1_000_000, "{}", 0)).hasMessageContaining("header length 1000000 exceeds the file size");
    }

    @Test
    void negativeHeaderLength() throws IOException {
        refusal(file(-5, "{}", 0)).hasMessageContaining("exceeds the file size");
    }

    @Test
    void fileShorterThanLengthField() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        refusal(p).hasMessageContaining("too short");
    }

    @Test
    void offsetsOutsideTheData() throws IOException {
        refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8))
                .hasMessageContaining("tensor 'a'").hasMessageContaining("outside the data (8 bytes)");
    }

    @Test
    void endBeforeBegin() throws IOException {
        refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8))
                .hasMessageContaining("end before they begin");
    }

    @Test
    void shapeTimesDtypeDisagreesWithByteLength() throws IOException {
        refusal(file("{\"a\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8))
                .hasMessageContaining("shape [2, 3] of F16 needs 12 bytes but data_offsets span 8");
    }

    @Test
    void overflowingShape() throws IOException {
        refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8))
                .hasMessageContaining("tensor 'a'");
    }

    @Test
    void headerIsNotJson() throws IOException {
        refusal(file("{\"a\": [1, 2,, }", 0)).hasMessageContaining("header is not valid JSON");
    }

    @Test
    void headerIsNotAnObject() throws IOException {
        refusal(file("[1,2]", 0)).hasMessageContaining("not a JSON object");
    }

    @Test
    void unknownDtypeIsNamed() throws IOException {
        refusal(file("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8))
                .hasMessageContaining("tensor 'ids'").hasMessageContaining("dtype I64 is not supported");
    }

    @Test
    void malformedFields() throws IOException {
        refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)).hasMessageContaining("shape");
        refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4)).hasMessageContaining("data_offsets");
        refusal(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4)).hasMessageContaining("missing dtype");
        refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}", 4))
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void missingFile() {
        refusal(dir.resolve("nope.safetensors")).hasMessageContaining("not found");
    }
}
