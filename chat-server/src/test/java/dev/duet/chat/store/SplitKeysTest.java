package dev.duet.chat.store;

import org.apache.hadoop.hbase.util.Bytes;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplitKeysTest {

    @Test
    void splitsCouplesIntoRegionsOfAboutEqualSize() {
        byte[][] splits = HBaseChatStore.splitKeys(8);
        assertEquals(7, splits.length);
        for (int i = 1; i < splits.length; i++) {
            assertTrue(Bytes.compareTo(splits[i - 1], splits[i]) < 0, "split keys in ascending order");
        }
        int[] couplesPerRegion = new int[8];
        for (int i = 0; i < 80_000; i++) {
            byte[] row = CoupleRow.key("couple-" + i);
            int region = 0;
            while (region < splits.length && Bytes.compareTo(row, splits[region]) >= 0) {
                region++;
            }
            couplesPerRegion[region]++;
        }
        assertTrue(Arrays.stream(couplesPerRegion).allMatch(couples -> couples > 9_000 && couples < 11_000),
                Arrays.toString(couplesPerRegion));
    }

    @Test
    void oneRegionNeedsNoSplit() {
        assertEquals(0, HBaseChatStore.splitKeys(1).length);
    }
}
