namespace Usher.Cli.Batch;

/// <summary>
/// The fields of a Parquet page header (Thrift compact protocol) that <see cref="ParquetListColumnReader"/>
/// needs: the page's type and sizes and, for a data page (v1), its value count and encodings. Other
/// fields (the CRC, statistics, index and v2 headers) are skipped over.
/// </summary>
/// <param name="Type">The page type: 0 data page, 1 index page, 2 dictionary page, 3 data page v2.</param>
/// <param name="UncompressedBytes">The page's size after decompression.</param>
/// <param name="CompressedBytes">The page's size in the file, after this header.</param>
/// <param name="Values">A data page's value count, levels included (-1 when not a v1 data page).</param>
/// <param name="Encoding">A data page's value encoding (0 plain).</param>
/// <param name="DefinitionEncoding">A data page's definition-level encoding (3 RLE).</param>
/// <param name="RepetitionEncoding">A data page's repetition-level encoding (3 RLE).</param>
internal readonly record struct ParquetPageHeader(int Type, int UncompressedBytes, int CompressedBytes, int Values, int Encoding, int DefinitionEncoding, int RepetitionEncoding)
{
    /// <summary>Page type of a data page (v1).</summary>
    public const int DataPage = 0;

    /// <summary>The encoding <c>PLAIN</c>.</summary>
    public const int Plain = 0;

    /// <summary>The encoding <c>RLE</c> (the RLE/bit-packed hybrid of levels).</summary>
    public const int Rle = 3;

    private const int StructType = 12;

    /// <summary>
    /// Reads a header from the start of <paramref name="bytes"/>; its length in <paramref name="length"/>.
    /// False when the bytes end before the header does or are not a header (a corrupt file).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out ParquetPageHeader header, out int length)
    {
        header = default;
        length = 0;
        var reader = new CompactReader(bytes);
        int type = -1, uncompressed = -1, compressed = -1, values = -1, encoding = -1, definitions = -1, repetitions = -1;
        var ok = true;
        short field = 0;
        while (ok && reader.TryField(ref field, out var fieldType) && fieldType != 0)
        {
            switch (field)
            {
                case 1: ok = reader.TryI32(out type); break;
                case 2: ok = reader.TryI32(out uncompressed); break;
                case 3: ok = reader.TryI32(out compressed); break;
                case 5 when fieldType == StructType:
                    short inner = 0;
                    while (ok && reader.TryField(ref inner, out var innerType) && innerType != 0)
                    {
                        ok = inner switch
                        {
                            1 => reader.TryI32(out values),
                            2 => reader.TryI32(out encoding),
                            3 => reader.TryI32(out definitions),
                            4 => reader.TryI32(out repetitions),
                            _ => reader.TrySkip(innerType, 0),
                        };
                    }

                    ok &= !reader.Failed;
                    break;
                default: ok = reader.TrySkip(fieldType, 0); break;
            }
        }

        if (!ok || reader.Failed || type < 0 || uncompressed < 0 || compressed < 0)
        {
            return false;
        }

        header = new ParquetPageHeader(type, uncompressed, compressed, values, encoding, definitions, repetitions);
        length = reader.Position;
        return true;
    }

    // The Thrift compact protocol, as far as a page header needs it. Every read is bounds-checked;
    // Failed is set on the first read past the end, and nesting is bounded (a corrupt file cannot recurse deeply).
    private ref struct CompactReader(ReadOnlySpan<byte> bytes)
    {
        private const int MaxDepth = 16;
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        public bool Failed { get; private set; }

        // The next field's id (delta-encoded against the previous one) and type; type 0 is the struct's end.
        public bool TryField(ref short id, out int type)
        {
            type = 0;
            if (!TryByte(out var header))
            {
                return false;
            }

            type = header & 0x0F;
            if (type == 0)
            {
                return true;
            }

            var delta = header >> 4;
            if (delta != 0)
            {
                id += (short)delta;
                return true;
            }

            if (!TryVarint(out var raw))
            {
                return false;
            }

            id = (short)Zigzag(raw);
            return true;
        }

        public bool TryI32(out int value)
        {
            value = 0;
            if (!TryVarint(out var raw))
            {
                return false;
            }

            value = (int)Zigzag(raw);
            return true;
        }

        public bool TrySkip(int type, int depth)
        {
            if (depth > MaxDepth)
            {
                return Fail();
            }

            switch (type)
            {
                case 1 or 2: return true; // a bool field's value is in its type
                case 3: return TryByte(out _);
                case 4 or 5 or 6: return TryVarint(out _);
                case 7: return TryAdvance(8);
                case 8:
                    return TryVarint(out var length) && length <= int.MaxValue && TryAdvance((int)length);
                case 9 or 10:
                    if (!TryByte(out var listHeader))
                    {
                        return false;
                    }

                    var size = (ulong)(listHeader >> 4);
                    if (size == 15 && !TryVarint(out size))
                    {
                        return false;
                    }

                    var elementType = listHeader & 0x0F;
                    for (ulong i = 0; i < size; i++)
                    {
                        if (!(elementType is 1 or 2 ? TryByte(out _) : TrySkip(elementType, depth + 1)))
                        {
                            return false;
                        }
                    }

                    return true;
                case 11:
                    if (!TryVarint(out var entries))
                    {
                        return false;
                    }

                    if (entries == 0)
                    {
                        return true;
                    }

                    if (!TryByte(out var kinds))
                    {
                        return false;
                    }

                    for (ulong i = 0; i < entries; i++)
                    {
                        if (!TrySkip(kinds >> 4, depth + 1) || !TrySkip(kinds & 0x0F, depth + 1))
                        {
                            return false;
                        }
                    }

                    return true;
                case 12:
                    short id = 0;
                    while (TryField(ref id, out var fieldType))
                    {
                        if (fieldType == 0)
                        {
                            return true;
                        }

                        if (!TrySkip(fieldType, depth + 1))
                        {
                            return false;
                        }
                    }

                    return false;
                default: return Fail();
            }
        }

        private static long Zigzag(ulong raw) => (long)(raw >> 1) ^ -(long)(raw & 1);

        private bool TryByte(out byte value)
        {
            value = 0;
            if (Position >= _bytes.Length)
            {
                return Fail();
            }

            value = _bytes[Position++];
            return true;
        }

        private bool TryVarint(out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (!TryByte(out var b))
                {
                    return false;
                }

                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return Fail();
        }

        private bool TryAdvance(int count)
        {
            if (count < 0 || count > _bytes.Length - Position)
            {
                return Fail();
            }

            Position += count;
            return true;
        }

        private bool Fail()
        {
            Failed = true;
            return false;
        }
    }
}
