using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using Parquet.Meta;

namespace ParquetListSpike;

/// <summary>
/// What a Parquet writer of our own would cost for a required FP32 list of fixed width: data pages
/// (v1) of plain values, whose levels are written as RLE runs (a definition level run per page, and
/// per row one repetition level 0 and a run of width - 1 ones) instead of a level per value. The
/// footer is Parquet.Net's template with this column chunk's offsets and sizes, written with
/// Parquet.Net's own Thrift serializer (internal; reached by reflection, as ParquetConcatenation does).
/// </summary>
internal static class OwnListWriter
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    public static byte[] Write(ReadOnlySpan<float> values, int width, int maxDefinitionLevel, FileMetaData template)
    {
        var rows = values.Length / width;
        var rowsPerPage = Math.Max(1, (1 << 20) / (width * sizeof(float)));
        using var stream = new MemoryStream((values.Length * sizeof(float)) + (rows * 8) + (1 << 16));
        stream.Write(Magic);
        long bytes = 0;
        var header = new byte[64];
        var levels = new byte[(rowsPerPage * 8) + 64];
        for (var first = 0; first < rows; first += rowsPerPage)
        {
            var pageRows = Math.Min(rowsPerPage, rows - first);
            var pageValues = pageRows * width;

            // Repetition levels (bit width 1): per row, a run of one 0 and a run of width - 1 ones.
            var at = 4;
            for (var r = 0; r < pageRows; r++)
            {
                at += Varint(levels.AsSpan(at), 1 << 1);
                levels[at++] = 0;
                if (width > 1)
                {
                    at += Varint(levels.AsSpan(at), (width - 1) << 1);
                    levels[at++] = 1;
                }
            }

            BinaryPrimitives.WriteInt32LittleEndian(levels, at - 4);

            // Definition levels (bit width of maxDefinitionLevel, one byte): one run for the page.
            var definitionsAt = at;
            at += 4;
            at += Varint(levels.AsSpan(at), pageValues << 1);
            levels[at++] = (byte)maxDefinitionLevel;
            BinaryPrimitives.WriteInt32LittleEndian(levels.AsSpan(definitionsAt), at - definitionsAt - 4);

            var pageBytes = at + (pageValues * sizeof(float));
            var headerLength = PageHeader(header, pageBytes, pageValues);
            stream.Write(header, 0, headerLength);
            stream.Write(levels, 0, at);
            stream.Write(MemoryMarshal.AsBytes(values.Slice(first * width, pageValues)));
            bytes += headerLength + pageBytes;
        }

        var group = template.RowGroups[0];
        var chunk = group.Columns[0];
        chunk.FileOffset = Magic.Length;
        chunk.MetaData!.DataPageOffset = Magic.Length;
        chunk.MetaData.DictionaryPageOffset = null;
        chunk.MetaData.Encodings = [Encoding.PLAIN, Encoding.RLE];
        chunk.MetaData.Codec = CompressionCodec.UNCOMPRESSED;
        chunk.MetaData.NumValues = values.Length;
        chunk.MetaData.TotalCompressedSize = bytes;
        chunk.MetaData.TotalUncompressedSize = bytes;
        chunk.MetaData.Statistics = null;
        chunk.MetaData.EncodingStats = null;
        chunk.MetaData.SizeStatistics = null;
        chunk.OffsetIndexOffset = null;
        chunk.OffsetIndexLength = null;
        chunk.ColumnIndexOffset = null;
        chunk.ColumnIndexLength = null;
        group.FileOffset = Magic.Length;
        group.NumRows = rows;
        group.TotalByteSize = bytes;
        group.TotalCompressedSize = bytes;
        template.NumRows = rows;

        var footerStart = stream.Position;
        FooterWriter(template, stream);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, checked((int)(stream.Position - footerStart)));
        stream.Write(length);
        stream.Write(Magic);
        return stream.ToArray();
    }

    // Thrift compact protocol: PageHeader { 1: type = DATA_PAGE, 2: uncompressed size, 3: compressed size,
    // 5: DataPageHeader { 1: num_values, 2: PLAIN, 3: RLE, 4: RLE } }.
    private static int PageHeader(Span<byte> to, int pageBytes, int values)
    {
        var at = 0;
        to[at++] = 0x15;
        at += Varint(to[at..], ZigZag(0));
        to[at++] = 0x15;
        at += Varint(to[at..], ZigZag(pageBytes));
        to[at++] = 0x15;
        at += Varint(to[at..], ZigZag(pageBytes));
        to[at++] = 0x2C;
        to[at++] = 0x15;
        at += Varint(to[at..], ZigZag(values));
        to[at++] = 0x15;
        at += Varint(to[at..], ZigZag((int)Encoding.PLAIN));
        to[at++] = 0x15;
        at += Varint(to[at..], ZigZag((int)Encoding.RLE));
        to[at++] = 0x15;
        at += Varint(to[at..], ZigZag((int)Encoding.RLE));
        to[at++] = 0;
        to[at++] = 0;
        return at;
    }

    private static uint ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    private static int Varint(Span<byte> to, int value) => Varint(to, (uint)value);

    private static int Varint(Span<byte> to, uint value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            to[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        to[at++] = (byte)value;
        return at;
    }

    private static void FooterWriter(FileMetaData footer, Stream stream)
    {
        const BindingFlags Members = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        var writerType = typeof(FileMetaData).Assembly.GetType("Parquet.Meta.Proto.ThriftCompactProtocolWriter")!;
        var write = typeof(FileMetaData).GetMethod("Write", Members, [writerType])!;
        write.Invoke(footer, [writerType.GetConstructor(Members, [typeof(Stream)])!.Invoke([stream])]);
    }
}
