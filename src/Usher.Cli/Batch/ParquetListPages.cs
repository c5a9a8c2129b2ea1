using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Parquet.Meta;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// A Parquet part whose columns are all required FP32 lists of a fixed width (mlp-large's 1,024-wide
/// output), written uncompressed without Parquet.Net's per-value work: data pages (v1) of plain
/// values, whose levels are RLE runs (per page one definition-level run, per row one repetition
/// level 0 and a run of width - 1 ones) rather than a level per value encoded one by one, and the
/// rows copied from the batches' outputs straight into the page. Parquet.Net spends about 25 µs of
/// CPU per 1,024-value row on encoding, levels and statistics, ParquetSharp (Arrow C++) 14-15 µs, this 2-4 µs
/// (the spike in <c>benchmarks/compare/batch.md</c>). The footer is the template Parquet.Net
/// wrote for the same schema, with this part's row group, written by Parquet.Net's own Thrift
/// serializer (<see cref="ParquetConcatenation.WriteFooter"/>); the columns carry no statistics.
/// </summary>
internal static class ParquetListPages
{
    /// <summary>Values per data page: about 1 MiB of FP32, as other writers page.</summary>
    private const int PageBytes = 1 << 20;

    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    /// <summary>True when <paramref name="layout"/> written with <paramref name="compression"/> can take this path.</summary>
    public static bool Fits(OutputLayout layout, Parquet.CompressionMethod compression)
        => compression == Parquet.CompressionMethod.None && ParquetConcatenation.IsAvailable && layout.Kept.Count == 0
           && layout.Outputs.Count > 0 && layout.Outputs.All(o => o.DataType == DataType.Fp32 && !o.IsScalar);

    /// <summary>
    /// Writes <paramref name="chunk"/>'s outputs as one Parquet file of one row group to <paramref name="stream"/>;
    /// <paramref name="template"/> is a footer Parquet.Net wrote for the layout's schema (one row group), and
    /// <paramref name="maxDefinitionLevels"/> each list's leaf's maximum definition level.
    /// </summary>
    public static void Write(ScoredChunk chunk, OutputLayout layout, FileMetaData template, int[] maxDefinitionLevels, Stream stream)
    {
        var rows = chunk.ScoredRows.Length;
        stream.Write(Magic);
        var columns = new List<ColumnChunk>(layout.Outputs.Count);
        long groupBytes = 0;
        for (var o = 0; o < layout.Outputs.Count; o++)
        {
            var width = layout.Outputs[o].Width;
            var start = stream.Position;
            WriteColumn(chunk, o, width, maxDefinitionLevels[o], stream);
            var bytes = stream.Position - start;
            groupBytes += bytes;
            var meta = template.RowGroups[0].Columns[o].MetaData!;
            columns.Add(new ColumnChunk
            {
                FileOffset = start,
                MetaData = new ColumnMetaData
                {
                    Type = meta.Type,
                    Encodings = [Encoding.PLAIN, Encoding.RLE],
                    PathInSchema = meta.PathInSchema,
                    Codec = CompressionCodec.UNCOMPRESSED,
                    NumValues = (long)rows * width,
                    TotalUncompressedSize = bytes,
                    TotalCompressedSize = bytes,
                    DataPageOffset = start,
                },
            });
        }

        var footer = new FileMetaData
        {
            Version = template.Version,
            Schema = template.Schema,
            NumRows = rows,
            RowGroups =
            [
                new RowGroup
                {
                    Columns = columns,
                    TotalByteSize = groupBytes,
                    TotalCompressedSize = groupBytes,
                    NumRows = rows,
                    FileOffset = Magic.Length,
                    Ordinal = 0,
                },
            ],
            KeyValueMetadata = template.KeyValueMetadata,
            CreatedBy = template.CreatedBy,
            ColumnOrders = template.ColumnOrders,
        };
        var footerStart = stream.Position;
        ParquetConcatenation.WriteFooter!(footer, stream);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, checked((int)(stream.Position - footerStart)));
        stream.Write(length);
        stream.Write(Magic);
    }

    private static void WriteColumn(ScoredChunk chunk, int output, int width, int maxDefinitionLevel, Stream stream)
    {
        var rows = chunk.ScoredRows.Length;
        var rowsPerPage = Math.Max(1, PageBytes / (width * sizeof(float)));
        Span<byte> header = stackalloc byte[64];
        var levels = new byte[(Math.Min(rowsPerPage, Math.Max(rows, 1)) * 10) + 32];
        for (var first = 0; first < rows; first += rowsPerPage)
        {
            var pageRows = Math.Min(rowsPerPage, rows - first);
            var pageValues = pageRows * width;

            // Repetition levels (bit width 1), RLE runs: per row, one 0 and then width - 1 ones.
            var at = 4;
            for (var r = 0; r < pageRows; r++)
            {
                at += Varint(levels.AsSpan(at), 1u << 1);
                levels[at++] = 0;
                if (width > 1)
                {
                    at += Varint(levels.AsSpan(at), (uint)(width - 1) << 1);
                    levels[at++] = 1;
                }
            }

            BinaryPrimitives.WriteInt32LittleEndian(levels, at - 4);

            // Definition levels (at most one byte wide): every value present, one run for the page.
            var definitionsAt = at;
            at += 4;
            at += Varint(levels.AsSpan(at), (uint)pageValues << 1);
            levels[at++] = (byte)maxDefinitionLevel;
            BinaryPrimitives.WriteInt32LittleEndian(levels.AsSpan(definitionsAt), at - definitionsAt - 4);

            var pageBytes = at + ((long)pageValues * sizeof(float));
            var headerLength = PageHeader(header, checked((int)pageBytes), pageValues);
            stream.Write(header[..headerLength]);
            stream.Write(levels, 0, at);
            for (var r = first; r < first + pageRows; r++)
            {
                var values = chunk.Outputs[chunk.BatchOf[r]][output].AsSpan<float>().Slice(chunk.RowInBatch[r] * width, width);
                stream.Write(MemoryMarshal.AsBytes(values));
            }
        }
    }

    // Thrift compact protocol: PageHeader { 1: type = DATA_PAGE (0), 2: uncompressed_page_size,
    // 3: compressed_page_size, 5: data_page_header { 1: num_values, 2: encoding = PLAIN,
    // 3: definition_level_encoding = RLE, 4: repetition_level_encoding = RLE } }. A field header
    // byte is (field id delta << 4) | type, 5 for i32 and 12 for a struct; an i32 is a zigzag varint.
    private static int PageHeader(Span<byte> to, int pageBytes, int values)
    {
        var at = 0;
        at += I32(to[at..], 0x15, 0);
        at += I32(to[at..], 0x15, pageBytes);
        at += I32(to[at..], 0x15, pageBytes);
        to[at++] = 0x2C;
        at += I32(to[at..], 0x15, values);
        at += I32(to[at..], 0x15, (int)Encoding.PLAIN);
        at += I32(to[at..], 0x15, (int)Encoding.RLE);
        at += I32(to[at..], 0x15, (int)Encoding.RLE);
        to[at++] = 0;
        to[at++] = 0;
        return at;
    }

    private static int I32(Span<byte> to, byte field, int value)
    {
        to[0] = field;
        return 1 + Varint(to[1..], (uint)((value << 1) ^ (value >> 31)));
    }

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
}
