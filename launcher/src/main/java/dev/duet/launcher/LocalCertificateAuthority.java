package dev.duet.launcher;

import dev.duet.protocol.tls.MuxTls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority of this machine for the mux connections of {@code duet local}: a CA and one certificate per
 * role ({@code OU=presenter}, {@code OU=chat-server}), ECDSA P-256, PEM, made once with the JDK's {@code keytool}
 * and reused. Production deployments use their own CA; the layout of the files is the same.
 */
public final class LocalCertificateAuthority {
    private static final String PASSWORD = "duet-local-ca";

    private final Path dir;

    private LocalCertificateAuthority(Path dir) {
        this.dir = dir;
    }

    /** The CA and both roles' certificates in {@code dir}, created on first use. */
    public static LocalCertificateAuthority in(Path dir) throws IOException, InterruptedException {
        LocalCertificateAuthority ca = new LocalCertificateAuthority(dir);
        if (!Files.exists(ca.caCertificate()) || !Files.exists(ca.chain(MuxTls.PRESENTER))
                || !Files.exists(ca.chain(MuxTls.CHAT_SERVER))) {
            ca.generate();
        }
        return ca;
    }

    /** The files a server of {@code role} uses. */
    public MuxTls.PemFiles files(String role) {
        return new MuxTls.PemFiles(chain(role), key(role), caCertificate());
    }

    Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    private Path chain(String role) {
        return dir.resolve(role + ".pem");
    }

    private Path key(String role) {
        return dir.resolve(role + "-key.pem");
    }

    private void generate() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path caStore = dir.resolve("ca.p12");
        Files.deleteIfExists(caStore);
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg",
                "SHA256withECDSA", "-dname", "CN=Duet local CA", "-ext", "bc:c=ca:true", "-validity", "3650",
                "-storetype", "PKCS12", "-keystore", caStore.toString(), "-storepass", PASSWORD);
        String caPem = keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(),
                "-storepass", PASSWORD);
        for (String role : List.of(MuxTls.PRESENTER, MuxTls.CHAT_SERVER)) {
            Path store = dir.resolve(role + ".p12");
            Files.deleteIfExists(store);
            keytool("-genkeypair", "-alias", role, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg",
                    "SHA256withECDSA", "-dname", "CN=" + role + ", OU=" + role + ", O=duet", "-validity", "3650",
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD);
            Path request = dir.resolve(role + ".csr");
            Files.writeString(request, keytool("-certreq", "-alias", role, "-keystore", store.toString(),
                    "-storepass", PASSWORD));
            String leaf = keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-storepass",
                    PASSWORD, "-infile", request.toString(), "-validity", "3650", "-ext",
                    "SAN=dns:localhost,ip:127.0.0.1", "-ext", "KU=digitalSignature", "-ext",
                    "EKU=serverAuth,clientAuth");
            Files.writeString(chain(role), leaf + caPem);
            writeKey(store, role);
            Files.delete(request);
            Files.delete(store);
        }
        Files.delete(caStore);
        Files.writeString(caCertificate(), caPem);
    }

    private void writeKey(Path store, String role) throws IOException {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(in, PASSWORD.toCharArray());
            byte[] der = keyStore.getKey(role, PASSWORD.toCharArray()).getEncoded();
            Path key = key(role);
            Files.deleteIfExists(key);
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                    + "\n-----END PRIVATE KEY-----\n");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key keytool wrote for " + role, e);
        }
    }

    /** Runs keytool with {@code args} and returns what it printed; fails unless it succeeded. */
    private static String keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
        return output;
    }
}
