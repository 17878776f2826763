package org.llmri.model.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.llmri.LlmriException;

/**
 * What the Hugging Face environment variables say, read the way huggingface_hub reads them, so that llmri and
 * Python tools share one cache and one login.
 *
 * @param endpoint        {@code HF_ENDPOINT}, default {@code https://huggingface.co} (no trailing slash)
 * @param cacheDir        {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}
 * @param token           {@code HF_TOKEN}, else the token file written by {@code hf auth login}; null when none
 * @param offline         {@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) is 1/true/yes/on
 * @param etagTimeout     {@code HF_HUB_ETAG_TIMEOUT}: connect and metadata timeout (default 10 s)
 * @param downloadTimeout {@code HF_HUB_DOWNLOAD_TIMEOUT}: longest wait for the next bytes of a download (default 10 s)
 */
public record HubSettings(URI endpoint, Path cacheDir, String token, boolean offline, Duration etagTimeout,
                          Duration downloadTimeout) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public static HubSettings from(Map<String, String> env) {
        String endpointText = nonBlank(env.get("HF_ENDPOINT"), DEFAULT_ENDPOINT).strip();
        while (endpointText.endsWith("/")) endpointText = endpointText.substring(0, endpointText.length() - 1);
        URI endpoint;
        try {
            endpoint = URI.create(endpointText);
        } catch (IllegalArgumentException e) {
            throw new LlmriException("HF_ENDPOINT: '" + endpointText + "' is not a URL");
        }
        if (endpoint.getHost() == null || !("https".equals(endpoint.getScheme()) || "http".equals(endpoint.getScheme()))) {
            throw new LlmriException("HF_ENDPOINT: '" + endpointText + "' is not an http(s) URL");
        }
        Path hfHome = hfHome(env);
        Path cache = firstPath(env, "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE");
        if (cache == null) cache = hfHome.resolve("hub");
        return new HubSettings(endpoint, cache, token(env, hfHome),
                isTrue(env.get("HF_HUB_OFFLINE")) || isTrue(env.get("TRANSFORMERS_OFFLINE")),
                seconds(env, "HF_HUB_ETAG_TIMEOUT"), seconds(env, "HF_HUB_DOWNLOAD_TIMEOUT"));
    }

    /** The same settings with a different token (or none). */
    public HubSettings withToken(String newToken) {
        return new HubSettings(endpoint, cacheDir, newToken, offline, etagTimeout, downloadTimeout);
    }

    @Override
    public String toString() { // never print the token
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + ", etagTimeout=" + etagTimeout + ", downloadTimeout=" + downloadTimeout + "]";
    }

    private static Path hfHome(Map<String, String> env) {
        Path home = firstPath(env, "HF_HOME");
        if (home != null) return home;
        Path xdg = firstPath(env, "XDG_CACHE_HOME");
        return (xdg != null ? xdg : userHome(env).resolve(".cache")).resolve("huggingface");
    }

    private static String token(Map<String, String> env, Path hfHome) {
        for (String name : new String[] {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
            String t = env.get(name);
            if (t != null && !t.isBlank()) return t.strip();
        }
        Path file = firstPath(env, "HF_TOKEN_PATH");
        if (file == null) file = hfHome.resolve("token");
        try {
            if (Files.isRegularFile(file) && Files.size(file) < 4096) {
                String t = Files.readString(file).strip();
                if (!t.isEmpty()) return t;
            }
        } catch (IOException e) {
            // an unreadable token file is the same as none: public repos still work
        }
        return null;
    }

    private static Path firstPath(Map<String, String> env, String... names) {
        for (String name : names) {
            String v = env.get(name);
            if (v == null || v.isBlank()) continue;
            v = v.strip();
            try {
                if (v.equals("~")) return userHome(env);
                if (v.startsWith("~/")) return userHome(env).resolve(v.substring(2));
                return Path.of(v);
            } catch (InvalidPathException e) {
                throw new LlmriException(name + ": '" + v + "' is not a valid path");
            }
        }
        return null;
    }

    private static Path userHome(Map<String, String> env) {
        String home = env.get("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    private static Duration seconds(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return DEFAULT_TIMEOUT;
        try {
            double s = Double.parseDouble(v.strip());
            if (!(s > 0) || s > 86_400) throw new NumberFormatException();
            return Duration.ofMillis(Math.max(1, Math.round(s * 1000)));
        } catch (NumberFormatException e) {
            throw new LlmriException(name + ": '" + v + "' is not a number of seconds between 0 and 86400");
        }
    }

    private static boolean isTrue(String v) {
        return v != null && switch (v.strip().toUpperCase(Locale.ROOT)) {
            case "1", "ON", "YES", "TRUE" -> true;
            default -> false;
        };
    }

    private static String nonBlank(String v, String fallback) {
        return v == null || v.isBlank() ? fallback : v;
    }
}
