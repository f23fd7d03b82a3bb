package dev.duet.protocol.config;

/** Checks on settings at start, with messages that name the setting. */
public final class Settings {
    private Settings() {
    }

    /** Fails, naming {@code key} (as in the config file), when a required setting is missing. */
    public static void require(String key, Object value) {
        if (value == null || value.toString().isBlank()) {
            throw new IllegalArgumentException("setting '" + key + "' is required (--" + key + ", '" + key
                    + ":' in the config file, or DUET_" + key.toUpperCase(java.util.Locale.ROOT).replace('-', '_')
                    + ")");
        }
    }
}
