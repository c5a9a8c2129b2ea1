using Parquet;

namespace Usher.Cli.Batch;

/// <summary>What every Parquet reader and writer of <c>usher batch</c> shares: Parquet.Net's settings and the bound on a row group.</summary>
internal static class ParquetFiles
{
    /// <summary>
    /// The most bytes one row group's needed columns may take while they are read (4 bytes per FP32
    /// value, plus the definition and repetition levels, 4 bytes each, while a column is decoded).
    /// Parquet.Net 6.1 decodes a column chunk of a row group in one call: its page reader is
    /// internal, so a row group is the smallest unit that can be read, and the bound is on it.
    /// </summary>
    public const long MaxRowGroupBytes = 1L << 30;

    /// <summary>
    /// Parquet.Net's options: its pool of page buffers (a <c>RecyclableMemoryStreamManager</c>) keeps
    /// what it frees for reuse, without limit unless told; these limits let the GC take the rest.
    /// </summary>
    public static ParquetOptions Options() => new()
    {
        MaximumSmallPoolFreeBytes = 16 << 20,
        MaximumLargePoolFreeBytes = 64 << 20,
    };

    /// <summary>Floating-point values per row from which an output whose values are nearly all floats is written uncompressed.</summary>
    public const int WideFloatOutput = 64;

    /// <summary>
    /// The codec of the Parquet output when <c>--compression</c> is not given. Snappy (Parquet.Net's
    /// default), except for a wide floating-point output (at least <see cref="WideFloatOutput"/> FP32 or
    /// FP64 values per row, nine tenths of the row's values or more), which is written uncompressed:
    /// model outputs such as embeddings or a 1,024-wide layer are distinct floats that Snappy does not
    /// shrink (0.1% on mlp-large) while it costs CPU on every byte, where narrow outputs with labels
    /// and kept ids halve (fraud: 8.9 MB uncompressed, 4.0 MB with Snappy for 300,000 rows).
    /// </summary>
    public static CompressionMethod DefaultCompression(OutputLayout layout)
    {
        var floats = layout.Outputs.Where(o => o.DataType is Usher.Core.Tensors.DataType.Fp32 or Usher.Core.Tensors.DataType.Fp64).Sum(o => (long)o.Width);
        var all = layout.Kept.Count + layout.Outputs.Sum(o => (long)o.Width);
        return floats >= WideFloatOutput && floats * 10 >= all * 9 ? CompressionMethod.None : CompressionMethod.Snappy;
    }

    /// <summary>The codecs <c>--compression</c> accepts, by the name it takes.</summary>
    public static readonly IReadOnlyDictionary<string, CompressionMethod> Codecs = new Dictionary<string, CompressionMethod>(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = CompressionMethod.None,
        ["snappy"] = CompressionMethod.Snappy,
        ["zstd"] = CompressionMethod.Zstd,
        ["gzip"] = CompressionMethod.Gzip,
        ["lz4"] = CompressionMethod.Lz4Raw,
        ["brotli"] = CompressionMethod.Brotli,
    };

    /// <summary><see cref="Options()"/> for a writer that compresses its pages with <paramref name="compression"/>.</summary>
    public static ParquetOptions Options(CompressionMethod compression)
    {
        var options = Options();
        options.CompressionMethod = compression;
        return options;
    }

    /// <summary>
    /// Bytes <paramref name="values"/> values of <paramref name="type"/> take while read: the values in their
    /// own type (a string or other object counted as a reference and a small object) and the two level buffers.
    /// </summary>
    public static long ReadBytes(Type type, long values)
    {
        long size = type == typeof(bool) || type == typeof(byte) || type == typeof(sbyte) ? 1
            : type == typeof(short) || type == typeof(ushort) ? 2
            : type == typeof(int) || type == typeof(uint) || type == typeof(float) ? 4
            : type == typeof(long) || type == typeof(ulong) || type == typeof(double) || type == typeof(DateTime) ? 8
            : 40;
        return values * (size + 8);
    }
}
