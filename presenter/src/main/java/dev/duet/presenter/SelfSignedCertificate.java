package dev.duet.presenter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed ECDSA P-256 certificate for {@code localhost} and 127.0.0.1, written as PEM files, for the one-machine
 * setup and the tests. Made with the JDK's own {@code keytool}, so nothing beyond the JDK is needed.
 */
public final class SelfSignedCertificate {
    private final Path certificate;
    private final Path privateKey;

    private SelfSignedCertificate(Path certificate, Path privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /** {@code dir/cert.pem} and {@code dir/key.pem}, created if absent, reused if present. */
    public static SelfSignedCertificate in(Path dir) throws IOException, InterruptedException {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        if (!Files.exists(cert) || !Files.exists(key)) {
            generate(dir, cert, key);
        }
        return new SelfSignedCertificate(cert, key);
    }

    public Path certificate() {
        return certificate;
    }

    public Path privateKey() {
        return privateKey;
    }

    private static void generate(Path dir, Path cert, Path key) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path store = Files.createTempFile(dir, "keystore", ".p12");
        Files.delete(store);
        char[] password = "duet-local".toCharArray();
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "duet",
                "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "3650",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(password),
                "-keypass", new String(password)))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(in, password);
            Certificate certificate = keyStore.getCertificate("duet");
            Key privateKey = keyStore.getKey("duet", password);
            Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
            Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the keystore keytool wrote", e);
        } finally {
            Files.deleteIfExists(store);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
