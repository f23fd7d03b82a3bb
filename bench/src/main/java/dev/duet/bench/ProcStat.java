package dev.duet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a {@code /proc} {@code stat} file (of a process or of one thread, Linux) says of its name and CPU time.
 *
 * @param name     the command or thread name, at most 15 bytes
 * @param cpuTicks user plus system time so far, in clock ticks ({@link #TICKS_PER_SECOND})
 */
public record ProcStat(String name, long cpuTicks) {
    /** Clock ticks per second of {@code /proc} times: {@code USER_HZ}, 100 on Linux. */
    public static final double TICKS_PER_SECOND = 100;

    /** Reads {@code stat}, such as {@code /proc/PID/stat} or {@code /proc/self/task/TID/stat}. */
    public static ProcStat read(Path stat) throws IOException {
        String text = Files.readString(stat);
        // The name is in parentheses and may hold spaces or parentheses itself: the fields follow the last ')'.
        int nameEnd = text.lastIndexOf(')');
        String[] fields = text.substring(nameEnd + 2).split(" ");
        return new ProcStat(text.substring(text.indexOf('(') + 1, nameEnd),
                Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
    }
}
