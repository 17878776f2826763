package org.llmri.model.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class HubSettingsTest {
    @TempDir Path home;

    @Test
    void defaultsFollowHuggingfaceHub() {
        HubSettings s = HubSettings.from(Map.of("HOME", home.toString()));
        assertThat(s.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(s.cacheDir()).isEqualTo(home.resolve(".cache/huggingface/hub"));
        assertThat(s.token()).isNull();
        assertThat(s.offline()).isFalse();
        assertThat(s.etagTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.downloadTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void cacheDirPrecedence() {
        assertThat(HubSettings.from(Map.of("HOME", home.toString(), "XDG_CACHE_HOME", "/xdg")).cacheDir())
                .isEqualTo(Path.of("/xdg/huggingface/hub"));
        assertThat(HubSettings.from(Map.of("HOME", home.toString(), "XDG_CACHE_HOME", "/xdg", "HF_HOME", "/hf"))
                .cacheDir()).isEqualTo(Path.of("/hf/hub"));
        assertThat(HubSettings.from(Map.of("HF_HOME", "/hf", "HF_HUB_CACHE", "/cache")).cacheDir())
                .isEqualTo(Path.of("/cache"));
        assertThat(HubSettings.from(Map.of("HOME", home.toString(), "HF_HUB_CACHE", "~/models")).cacheDir())
                .isEqualTo(home.resolve("models"));
    }

    @Test
    void endpointLosesTrailingSlashAndMustBeHttp() {
        assertThat(HubSettings.from(Map.of("HF_ENDPOINT", "https://hf-mirror.example/")).endpoint())
                .isEqualTo(URI.create("https://hf-mirror.example"));
        assertThatThrownBy(() -> HubSettings.from(Map.of("HF_ENDPOINT", "ftp://x")))
                .isInstanceOf(LlmriException.class).hasMessageContaining("HF_ENDPOINT");
    }

    @Test
    void offlineAcceptsHuggingfaceHubsTrueWords() {
        for (String v : new String[] {"1", "true", "YES", "on"}) {
            assertThat(HubSettings.from(Map.of("HF_HUB_OFFLINE", v)).offline()).as(v).isTrue();
        }
        for (String v : new String[] {"0", "false", "", "no"}) {
            assertThat(HubSettings.from(Map.of("HF_HUB_OFFLINE", v)).offline()).as(v).isFalse();
        }
        assertThat(HubSettings.from(Map.of("TRANSFORMERS_OFFLINE", "1")).offline()).isTrue();
    }

    @Test
    void tokenFromVariableWinsOverTheLoginFile() throws IOException {
        Path hfHome = Files.createDirectories(home.resolve("hf"));
        Files.writeString(hfHome.resolve("token"), "hf_file\n");
        assertThat(HubSettings.from(Map.of("HF_HOME", hfHome.toString())).token()).isEqualTo("hf_file");
        assertThat(HubSettings.from(Map.of("HF_HOME", hfHome.toString(), "HF_TOKEN", "hf_env")).token())
                .isEqualTo("hf_env");
        assertThat(HubSettings.from(Map.of("HF_HOME", hfHome.toString(), "HF_TOKEN", "hf_env")).toString())
                .doesNotContain("hf_env");
    }

    @Test
    void timeoutsAreSecondsAndValidated() {
        assertThat(HubSettings.from(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "2.5")).downloadTimeout())
                .isEqualTo(Duration.ofMillis(2500));
        assertThatThrownBy(() -> HubSettings.from(Map.of("HF_HUB_ETAG_TIMEOUT", "soon")))
                .isInstanceOf(LlmriException.class).hasMessageContaining("HF_HUB_ETAG_TIMEOUT");
    }
}
