package dev.duet.protocol.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Checks on settings at start, with messages that name the setting as the config file does and say where it comes
 * from: {@code max-body-chars must be 1..65536, not 0 (--max-body-chars, DUET_MAX_BODY_CHARS or 'max-body-chars:'
 * in the config file)}. Each check throws an {@link InvalidSettingException}.
 */
public final class Settings {
    private Settings() {
    }

    /** Fails when a required setting is missing. */
    public static void require(String key, Object value) {
        if (value == null || value.toString().isBlank()) {
            throw new InvalidSettingException("setting '" + key + "' is required" + where(key));
        }
    }

    /** Fails unless {@code file} is null (not set) or a readable regular file. */
    public static void readableFileOrUnset(String key, Path file) {
        check(key, file == null || (Files.isRegularFile(file) && Files.isReadable(file)), "must be a readable file",
                file);
    }

    /** Fails unless {@code value} is longer than zero. */
    public static void positive(String key, Duration value) {
        check(key, value != null && !value.isNegative() && !value.isZero(), "must be positive", value);
    }

    /** Fails unless {@code min <= value <= max}. */
    public static void between(String key, long value, long min, long max) {
        check(key, value >= min && value <= max, "must be " + min + ".." + max, value);
    }

    /** Fails unless {@code valid}, saying the setting {@code rule} (e.g. "must be positive") and what it is now. */
    public static void check(String key, boolean valid, String rule, Object value) {
        if (!valid) {
            throw new InvalidSettingException(key + " " + rule + ", not " + value + where(key));
        }
    }

    private static String where(String key) {
        return " (--" + key + ", DUET_" + key.toUpperCase(Locale.ROOT).replace('-', '_') + " or '" + key
                + ":' in the config file)";
    }
}
