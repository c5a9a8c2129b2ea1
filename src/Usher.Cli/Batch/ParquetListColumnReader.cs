using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Parquet.Meta;
using Parquet.Schema;

namespace Usher.Cli.Batch;

/// <summary>
/// Reads a list column chunk of fixed-width FP32, FP64 or INT64 rows with every value present
/// (mlp-large's 1,024 floats per row) straight from the file into the values buffer, without
/// Parquet.Net: its pages' plain values are copied as they are (after Snappy, where the chunk is
/// compressed with it), and the levels are checked a run at a time (a row is a repetition level 0
/// and a run of width - 1 ones; every definition level is the maximum) instead of being decoded
/// into two 4-byte levels per value and walked again for the rows' starts. Anything else (another
/// codec or encoding, a dictionary page, a data page v2, a missing value, rows of different
/// lengths, a corrupt page) is declined, and <see cref="ParquetColumnData"/> reads the chunk with
/// Parquet.Net as before, which names any row that is wrong.
/// </summary>
internal sealed class ParquetListColumnReader : IDisposable
{
    /// <summary>Bytes read first for a page header; a header with large statistics is read again, longer.</summary>
    private const int HeaderWindow = 256;

    private const int MaxHeaderBytes = 1 << 20;

    private readonly SafeFileHandle _file;
    private byte[] _body = [];
    private byte[] _page = [];

    private ParquetListColumnReader(SafeFileHandle file) => _file = file;

    /// <summary>The bytes held for pages: the largest page read so far, compressed and decompressed.</summary>
    public long Bytes => (long)_body.Length + _page.Length;

    /// <summary>Opens <paramref name="path"/> for reading column chunks.</summary>
    public static ParquetListColumnReader Open(string path)
        => new(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess));

    /// <summary>True when this reader may take a column of <paramref name="field"/>'s type and shape.</summary>
    public static bool Handles(DataField field)
        => field.MaxRepetitionLevel == 1 && field.MaxDefinitionLevel is > 0 and <= 255
           && (field.ClrType == typeof(float) || field.ClrType == typeof(double) || field.ClrType == typeof(long));

    /// <summary>
    /// Reads <paramref name="chunk"/>, a column chunk of <paramref name="field"/> holding <paramref name="rows"/> rows,
    /// into <paramref name="values"/> (at least the chunk's value count long). The rows' common width when every row
    /// holds that many values, none missing, in pages this reader takes; -1 when it declines (see the type's remarks),
    /// and <paramref name="values"/> then holds nothing of use.
    /// </summary>
    public async ValueTask<int> TryReadAsync<T>(ColumnChunk chunk, DataField field, int rows, T[] values, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var meta = chunk.MetaData;
        if (meta is null || !Handles(field) || field.ClrType != typeof(T) || meta.Type != PhysicalType<T>()
            || meta.Codec is not (CompressionCodec.UNCOMPRESSED or CompressionCodec.SNAPPY)
            || meta.DictionaryPageOffset is > 0 || meta.NumValues > values.Length || meta.TotalCompressedSize <= 0
            || meta.TotalCompressedSize > ParquetFiles.MaxRowGroupBytes || rows <= 0)
        {
            return -1;
        }

        var levels = new LevelState(field.MaxDefinitionLevel);
        var total = (int)meta.NumValues;
        var written = 0;
        var offset = meta.DataPageOffset;
        var end = offset + meta.TotalCompressedSize;
        while (offset < end)
        {
            var (header, headerLength) = await ReadHeaderAsync(offset, end, cancellationToken).ConfigureAwait(false);
            if (headerLength <= 0 || header.Type != ParquetPageHeader.DataPage || header.Encoding != ParquetPageHeader.Plain
                || header.DefinitionEncoding != ParquetPageHeader.Rle || header.RepetitionEncoding != ParquetPageHeader.Rle
                || header.Values < 0 || header.CompressedBytes > end - offset - headerLength
                || header.UncompressedBytes > ParquetFiles.MaxRowGroupBytes)
            {
                return -1;
            }

            offset += headerLength;
            var body = Grow(ref _body, header.CompressedBytes);
            await ReadExactlyAsync(body, offset, cancellationToken).ConfigureAwait(false);
            offset += header.CompressedBytes;
            var page = (ReadOnlyMemory<byte>)body;
            if (meta.Codec == CompressionCodec.SNAPPY)
            {
                var decompressed = Grow(ref _page, header.UncompressedBytes);
                if (!TryDecompress(body.Span, decompressed.Span))
                {
                    return -1;
                }

                page = decompressed;
            }
            else if (header.UncompressedBytes != header.CompressedBytes)
            {
                return -1;
            }

            written = Take(levels, page.Span, header.Values, values.AsSpan(0, total), written);
            if (written < 0)
            {
                return -1;
            }
        }

        return written == total ? levels.Finish(rows) : -1;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    // A page's values after the written first ones of values; the count written after it, or -1 when the page is declined.
    private static int Take<T>(LevelState levels, ReadOnlySpan<byte> page, int count, Span<T> values, int written)
        where T : unmanaged
    {
        var bytes = levels.Page(page, count, Unsafe.SizeOf<T>());
        if (bytes.IsEmpty || count > values.Length - written)
        {
            return -1;
        }

        bytes.CopyTo(MemoryMarshal.AsBytes(values[written..]));
        return written + count;
    }

    private static Parquet.Meta.Type PhysicalType<T>()
        => typeof(T) == typeof(float) ? Parquet.Meta.Type.FLOAT : typeof(T) == typeof(double) ? Parquet.Meta.Type.DOUBLE : Parquet.Meta.Type.INT64;

    private static Memory<byte> Grow(ref byte[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<byte>(length);
        }

        return buffer.AsMemory(0, length);
    }

    private static bool TryDecompress(ReadOnlySpan<byte> compressed, Span<byte> target)
    {
        try
        {
            return Snappier.Snappy.GetUncompressedLength(compressed) == target.Length && Snappier.Snappy.Decompress(compressed, target) == target.Length;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private async ValueTask<(ParquetPageHeader Header, int Length)> ReadHeaderAsync(long offset, long end, CancellationToken cancellationToken)
    {
        for (var window = HeaderWindow; ; window *= 4)
        {
            var length = (int)Math.Min(window, end - offset);
            var bytes = Grow(ref _body, length);
            await ReadExactlyAsync(bytes, offset, cancellationToken).ConfigureAwait(false);
            if (ParquetPageHeader.TryRead(bytes.Span, out var header, out var headerLength))
            {
                return (header, headerLength);
            }

            if (length < window || window >= MaxHeaderBytes)
            {
                return (default, -1);
            }
        }
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await RandomAccess.ReadAsync(_file, buffer, offset, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException($"the file ends at byte {offset:N0}, inside a column chunk its footer places further on");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>
    /// The levels of a column chunk, page by page: whether every definition level is the maximum, and
    /// the rows' lengths from the repetition levels (a row may continue from one page into the next).
    /// </summary>
    private sealed class LevelState(int maxDefinition)
    {
        private readonly int _definitionBits = 32 - int.LeadingZeroCount(maxDefinition);
        private int _rows;
        private int _open = -1;
        private int _width = -1;
        private bool _failed;

        // A v1 data page's body: repetition levels, definition levels (each a 4-byte length and the
        // RLE/bit-packed hybrid), then the plain values. The values' bytes; empty when the page is declined.
        public ReadOnlySpan<byte> Page(ReadOnlySpan<byte> page, int count, int valueSize)
        {
            var at = 0;
            if (!TrySection(page, ref at, out var repetitions) || !TrySection(page, ref at, out var definitions))
            {
                return default;
            }

            var runs = new LevelRuns(repetitions, 1, count);
            while (!_failed && runs.Next(out var level, out var length))
            {
                Repetition(level, length);
            }

            if (_failed || !runs.Complete)
            {
                return default;
            }

            runs = new LevelRuns(definitions, _definitionBits, count);
            while (runs.Next(out var level, out _))
            {
                if (level != maxDefinition)
                {
                    return default;
                }
            }

            var bytes = (long)count * valueSize;
            return runs.Complete && bytes <= page.Length - at ? page.Slice(at, (int)bytes) : default;
        }

        // The common width of all rows, once the last page is read; -1 unless there were exactly rows rows.
        public int Finish(int rows)
        {
            Close();
            return !_failed && _rows == rows && _width > 0 ? _width : -1;
        }

        private static bool TrySection(ReadOnlySpan<byte> page, ref int at, out ReadOnlySpan<byte> section)
        {
            section = default;
            if (page.Length - at < 4)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(page[at..]);
            if (length < 0 || length > page.Length - at - 4)
            {
                return false;
            }

            section = page.Slice(at + 4, length);
            at += 4 + length;
            return true;
        }

        // A run of length repetition levels equal to level: 0 starts a row, 1 continues the open one.
        private void Repetition(int level, int length)
        {
            if (level > 1)
            {
                _failed = true;
                return;
            }

            if (level == 1)
            {
                _failed |= _open < 0;
                _open += length;
                return;
            }

            Close();
            if (length > 1)
            {
                // Rows of one value each.
                _failed |= _width is not (-1 or 1);
                _width = 1;
                _rows += length - 1;
            }

            _open = 1;
        }

        private void Close()
        {
            if (_open < 0)
            {
                return;
            }

            if (_width < 0)
            {
                _width = _open;
            }

            _failed |= _open != _width;
            _rows++;
            _open = -1;
        }
    }

    /// <summary>
    /// The RLE/bit-packed hybrid encoding of levels, as runs: an RLE run is one (value, length); a
    /// bit-packed group yields its values one at a time. Stops after <c>count</c> levels.
    /// </summary>
    private ref struct LevelRuns(ReadOnlySpan<byte> data, int bitWidth, int count)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;
        private int _left = count;
        private int _packedStart;
        private int _packedEnd;
        private int _packedLeft;
        private int _packedBit;
        private bool _broken;

        /// <summary>True when all <c>count</c> levels were there.</summary>
        public readonly bool Complete => _left == 0 && !_broken;

        public bool Next(out int value, out int length)
        {
            value = 0;
            length = 0;
            if (_left == 0 || _broken)
            {
                return false;
            }

            if (_packedLeft == 0)
            {
                if (!TryVarint(out var header))
                {
                    return Broken();
                }

                if ((header & 1) == 0)
                {
                    var run = header >> 1;
                    var valueBytes = (bitWidth + 7) >> 3;
                    if (run == 0 || valueBytes > _data.Length - _at)
                    {
                        return Broken();
                    }

                    value = valueBytes == 0 ? 0 : _data[_at];
                    _at += valueBytes;
                    length = (int)Math.Min(run, (uint)_left);
                    _left -= length;
                    return true;
                }

                // A bit-packed group of 8 x groups values in bitWidth x groups bytes; the values past count are padding.
                var groups = header >> 1;
                if (groups == 0 || groups * (ulong)bitWidth > (ulong)(_data.Length - _at))
                {
                    return Broken();
                }

                _packedStart = _at;
                _packedEnd = _at + (int)(groups * (uint)bitWidth);
                _packedLeft = (int)Math.Min(groups * 8, (uint)_left);
                _packedBit = 0;
                _at = _packedEnd;
            }

            var index = _packedStart + (_packedBit >> 3);
            var window = _data[index] | (index + 1 < _packedEnd ? _data[index + 1] << 8 : 0);
            value = (window >> (_packedBit & 7)) & ((1 << bitWidth) - 1);
            _packedBit += bitWidth;
            _packedLeft--;
            _left--;
            length = 1;
            return true;
        }

        private bool TryVarint(out uint value)
        {
            value = 0;
            for (var shift = 0; shift < 35; shift += 7)
            {
                if (_at >= _data.Length)
                {
                    return false;
                }

                var b = _data[_at++];
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return false;
        }

        private bool Broken()
        {
            _broken = true;
            return false;
        }
    }
}
