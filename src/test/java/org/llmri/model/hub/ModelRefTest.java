package org.llmri.model.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ModelRefTest {
    @Test
    void parsesRepoAndRevision() {
        assertThat(ModelRef.parse("facebook/galactica-125m"))
                .contains(new ModelRef("facebook/galactica-125m", "main"));
        assertThat(ModelRef.parse("facebook/galactica-125m@v1.0")).contains(new ModelRef("facebook/galactica-125m", "v1.0"));
        assertThat(ModelRef.parse("gpt2")).contains(new ModelRef("gpt2", "main"));
        assertThat(ModelRef.parse("org/name@refs/pr/1")).contains(new ModelRef("org/name", "refs/pr/1"));
    }

    @Test
    void refusesWhatIsNotARepoIdOrRevision() {
        for (String bad : new String[] {"", "a/b/c", "/abs/path", "org/", "org/na me", "org/-x", "org/x--y", "org/a..b",
                "org/x@", "org/x@../y", "org/x@a//b", "org/x@/main", "org/x@a@b", "org/x@a\\b"}) {
            assertThat(ModelRef.parse(bad)).as(bad).isEqualTo(Optional.empty());
        }
    }

    @Test
    void cacheFolderAndPinning() {
        assertThat(new ModelRef("facebook/galactica-125m", "main").cacheFolderName())
                .isEqualTo("models--facebook--galactica-125m");
        assertThat(new ModelRef("a/b", "0123456789abcdef0123456789abcdef01234567").pinned()).isTrue();
        assertThat(new ModelRef("a/b", "main").pinned()).isFalse();
    }

    @Test
    void etagsAreNormalisedAsHuggingfaceHubDoes() {
        assertThat(HubClient.normalizeEtag("\"abc\"")).isEqualTo("abc");
        assertThat(HubClient.normalizeEtag("W/\"abc\"")).isEqualTo("abc");
        assertThat(HubClient.normalizeEtag("abc")).isEqualTo("abc");
    }

    @Test
    void urlsEncodeRevisionAndFileAsHuggingfaceHubDoes() {
        HubClient c = new HubClient(HubSettings.from(java.util.Map.of()), null, DownloadProgress.silent(),
                java.time.Duration.ZERO);
        assertThat(c.resolveUrl("org/name", "refs/pr/1", "sub dir/model.safetensors").toString())
                .isEqualTo("https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors");
    }
}
