using System.Buffers.Binary;
using System.Reflection;
using Parquet;
using Parquet.Meta;

namespace Usher.Cli.Batch;

/// <summary>
/// Joins single-schema Parquet files into one by copying their row groups' bytes (column chunks,
/// pages, indexes) as they are and writing one footer that lists every row group at its new
/// offset: the data is encoded once, when the part is written, not decoded and encoded again.
/// Parquet.Net 6.1 has no public way to do this (its <c>FileMerger.MergeFilesAsync</c> decodes and
/// re-encodes every column), so the footer is written with its own Thrift serializer,
/// <c>FileMetaData.Write</c>, which is internal and reached by reflection. Where a later version
/// lacks it, <see cref="IsAvailable"/> is false: <c>usher batch merge</c> re-encodes instead, and
/// <c>usher batch</c> refuses a Parquet output.
/// </summary>
internal static class ParquetConcatenation
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();
    /// <summary>Parquet.Net's Thrift serializer of a footer; null where this Parquet.Net lacks it (see the type's remarks).</summary>
    internal static readonly Action<FileMetaData, Stream>? WriteFooter = FindFooterWriter();

    /// <summary>True when this Parquet.Net can write a footer (see the type's remarks).</summary>
    public static bool IsAvailable => WriteFooter is not null;

    /// <summary>Parquet's magic, which a file starts and ends with.</summary>
    public static ReadOnlySpan<byte> MagicBytes => Magic;

    /// <summary>Writes the row groups of <paramref name="parts"/> (at least one), in order, as one file to <paramref name="output"/>.</summary>
    public static async Task WriteAsync(IReadOnlyList<string> parts, Stream output, CancellationToken cancellationToken)
    {
        if (WriteFooter is null || parts.Count == 0)
        {
            throw new InvalidOperationException("Parquet files can be joined byte for byte only when Parquet.Net's footer writer is available, and with at least one part");
        }

        await output.WriteAsync(Magic, cancellationToken).ConfigureAwait(false);
        long position = Magic.Length;
        var footers = new List<(FileMetaData Footer, long Offset)>();
        foreach (var part in parts)
        {
            FileMetaData footer;
            await using (var reader = await ParquetReader.CreateAsync(part, ParquetFiles.Options(), cancellationToken).ConfigureAwait(false))
            {
                footer = reader.Metadata ?? throw new InvalidDataException($"{part}: no Parquet footer");
            }

            await using var input = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
            var dataEnd = await DataEndAsync(input, part, cancellationToken).ConfigureAwait(false);
            footers.Add((footer, position));
            input.Position = Magic.Length;
            await CopyAsync(input, output, dataEnd - Magic.Length, cancellationToken).ConfigureAwait(false);
            position += dataEnd - Magic.Length;
        }

        await WriteJoinedFooterAsync(footers, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Where the row groups of a whole Parquet file in memory are (after its magic, up to its footer), and its footer.
    /// Throws <see cref="InvalidDataException"/> naming <paramref name="what"/> when it does not end as a Parquet file does.
    /// </summary>
    public static PartLayout Split(ReadOnlySpan<byte> file, string what)
    {
        if (file.Length < 12 || !file[..4].SequenceEqual(Magic) || !file[^4..].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{what}: not a Parquet file (expected PAR1 at both ends, {file.Length} bytes)");
        }

        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(file[^8..]);
        var dataEnd = file.Length - 8 - footerLength;
        return footerLength < 0 || dataEnd < Magic.Length
            ? throw new InvalidDataException($"{what}: not a Parquet file (a footer of {footerLength} bytes in a file of {file.Length})")
            : new PartLayout(Magic.Length..dataEnd, dataEnd..(file.Length - 8));
    }

    /// <summary>Parses a footer (<see cref="Split"/>'s trailer) with Parquet.Net's own reader.</summary>
    public static async Task<FileMetaData> ReadFooterAsync(byte[] footer, CancellationToken cancellationToken)
    {
        // The footer alone, framed as a file of no row groups: magic, footer, its length, magic.
        var file = new byte[footer.Length + 12];
        Magic.CopyTo(file, 0);
        footer.CopyTo(file, 4);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(footer.Length + 4), footer.Length);
        Magic.CopyTo(file, footer.Length + 8);
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(file, writable: false), ParquetFiles.Options(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return reader.Metadata ?? throw new InvalidDataException("a Parquet part's footer did not parse");
    }

    /// <summary>
    /// Writes one footer, its length and the magic after the row groups of <paramref name="parts"/> (at least one):
    /// each part's footer, as Parquet.Net read it from a file whose row groups started after the magic, with its
    /// row groups moved to <c>Offset</c>, where they start in the output.
    /// </summary>
    public static async Task WriteJoinedFooterAsync(IReadOnlyList<(FileMetaData Footer, long Offset)> parts, Stream output, CancellationToken cancellationToken)
    {
        if (WriteFooter is null || parts.Count == 0)
        {
            throw new InvalidOperationException("Parquet row groups can be joined only when Parquet.Net's footer writer is available, and with at least one part");
        }

        FileMetaData? joined = null;
        foreach (var (footer, offset) in parts)
        {
            // The part's row groups start after its magic; here they start at offset.
            foreach (var group in footer.RowGroups)
            {
                Shift(group, offset - Magic.Length);
            }

            if (joined is null)
            {
                joined = footer;
            }
            else
            {
                joined.RowGroups.AddRange(footer.RowGroups);
                joined.NumRows += footer.NumRows;
            }
        }

        for (var i = 0; i < joined!.RowGroups.Count; i++)
        {
            // The ordinal is an i16 in the format: past that, none (it is optional).
            joined.RowGroups[i].Ordinal = i <= short.MaxValue ? (short)i : null;
        }

        using var bytes = new MemoryStream();
        WriteFooter(joined, bytes);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, checked((int)bytes.Length));
        await output.WriteAsync(bytes.GetBuffer().AsMemory(0, (int)bytes.Length), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(length, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Magic, cancellationToken).ConfigureAwait(false);
    }

    // A Parquet file ends with the footer, its length (4 bytes, little-endian) and the magic.
    private static async Task<long> DataEndAsync(FileStream input, string path, CancellationToken cancellationToken)
    {
        var tail = new byte[8];
        input.Position = input.Length - tail.Length;
        await input.ReadExactlyAsync(tail, cancellationToken).ConfigureAwait(false);
        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
        var dataEnd = input.Length - tail.Length - footerLength;
        return !tail.AsSpan(4).SequenceEqual(Magic) || footerLength < 0 || dataEnd < Magic.Length
            ? throw new InvalidDataException($"{path}: not a Parquet file (bad footer)")
            : dataEnd;
    }

    private static async Task CopyAsync(Stream input, Stream output, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        while (count > 0)
        {
            var read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("a Parquet part ended before its footer");
            }

            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            count -= read;
        }
    }

    // Every absolute file offset the footer holds for a row group.
    private static void Shift(RowGroup group, long shift)
    {
        group.FileOffset += shift;
        foreach (var column in group.Columns)
        {
            column.FileOffset += shift;
            column.OffsetIndexOffset += shift;
            column.ColumnIndexOffset += shift;
            if (column.MetaData is { } meta)
            {
                meta.DataPageOffset += shift;
                meta.IndexPageOffset += shift;
                meta.DictionaryPageOffset += shift;
                meta.BloomFilterOffset += shift;
            }
        }
    }

    private static Action<FileMetaData, Stream>? FindFooterWriter()
    {
        const BindingFlags Members = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        var writerType = typeof(FileMetaData).Assembly.GetType("Parquet.Meta.Proto.ThriftCompactProtocolWriter");
        var create = writerType?.GetConstructor(Members, [typeof(Stream)]);
        var write = writerType is null ? null : typeof(FileMetaData).GetMethod("Write", Members, [writerType]);
        if (create is null || write is null)
        {
            return null;
        }

        return (footer, stream) => write.Invoke(footer, [create.Invoke([stream])]);
    }
}
