package dev.duet.launcher;

import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code duet token}: prints a signed token. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Prints a signed token for a user of a couple.")
final class TokenCommand implements Callable<Integer> {
    @Option(names = "--user", required = true)
    String user;

    @Option(names = "--couple", required = true)
    String couple;

    @Option(names = "--partner", required = true)
    String partner;

    @Option(names = "--ttl", defaultValue = "24h", converter = Durations.class, description = "Lifetime (default 24h).")
    Duration ttl;

    @Option(names = "--key-file", defaultValue = "var/token-keys.properties", description = "Token key file.")
    Path keyFile;

    @Override
    public Integer call() throws Exception {
        System.out.println(new TokenSigner(TokenKeys.load(keyFile), Clock.systemUTC()).sign(user, couple, partner, ttl));
        return 0;
    }
}
