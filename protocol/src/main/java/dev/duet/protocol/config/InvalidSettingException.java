package dev.duet.protocol.config;

/** A setting that is missing, unknown or out of range; the message names the setting and says what is allowed. */
public final class InvalidSettingException extends IllegalArgumentException {
    public InvalidSettingException(String message) {
        super(message);
    }
}
