package dev.duet.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * The bearer token that admin actions which change a server ({@code POST /drain}) must carry. It is read from a file
 * holding one line; without one, those actions are refused over HTTP (SIGTERM and the MBean still drain). Compared
 * in constant time, over digests so that not even the length leaks.
 */
public final class AdminToken {
    /** Shorter tokens are refused at start (22 base64 characters carry 128 bits). */
    static final int MIN_CHARS = 22;

    private final byte[] digest;

    private AdminToken(byte[] digest) {
        this.digest = digest;
    }

    /** No token: every admin action over HTTP is refused. */
    public static AdminToken none() {
        return new AdminToken(null);
    }

    /** The token in {@code file}, or {@link #none()} when no file is given. */
    public static AdminToken loadOrNone(Path file) throws IOException {
        return file == null ? none() : load(file);
    }

    /** The token in {@code file} (its first line, trimmed). */
    public static AdminToken load(Path file) throws IOException {
        String token = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
        if (token.length() < MIN_CHARS) {
            throw new IOException("admin token in " + file + " must have at least " + MIN_CHARS + " characters");
        }
        return new AdminToken(sha256(token));
    }

    /** Writes a new random token to {@code file}, readable by its owner only, and returns it loaded. */
    public static AdminToken generate(Path file) throws IOException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "\n");
        return load(file);
    }

    public boolean isConfigured() {
        return digest != null;
    }

    /** Whether an {@code Authorization} header value is {@code Bearer <this token>}. */
    boolean admits(Optional<String> authorization) {
        if (digest == null || authorization.isEmpty() || !authorization.get().startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.get().substring("Bearer ".length()).trim()));
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
