package dev.duet.protocol.config;

import dev.duet.protocol.tls.MuxTls;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The mutual TLS of mux connections (a picocli mixin): this server's certificate chain and key, and the CA its peers'
 * certificates must come from, all PEM. All three or none; none means plain TCP, which trusts anyone who can reach
 * the mux port.
 */
public final class MuxTlsOptions {
    @Option(names = "--mux-tls-cert", description = "PEM certificate chain of this server for mux connections "
            + "(subject OU: presenter or chat-server).")
    Path certificateChain;

    @Option(names = "--mux-tls-key", description = "PEM private key of --mux-tls-cert.")
    Path privateKey;

    @Option(names = "--mux-tls-ca", description = "PEM CA certificate(s) that mux peers' certificates must lead to.")
    Path trustedCa;

    public void validate() {
        boolean any = certificateChain != null || privateKey != null || trustedCa != null;
        boolean all = certificateChain != null && privateKey != null && trustedCa != null;
        Settings.check("mux-tls-cert", all || !any, "must be set with mux-tls-key and mux-tls-ca, or none of them",
                certificateChain);
        Settings.readableFileOrUnset("mux-tls-cert", certificateChain);
        Settings.readableFileOrUnset("mux-tls-key", privateKey);
        Settings.readableFileOrUnset("mux-tls-ca", trustedCa);
    }

    /** The files, or null when mux connections are plain TCP. */
    public MuxTls.PemFiles files() {
        return certificateChain == null ? null : new MuxTls.PemFiles(certificateChain, privateKey, trustedCa);
    }
}
