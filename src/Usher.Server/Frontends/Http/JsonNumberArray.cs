using System.Runtime.CompilerServices;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Fills a tensor's buffer from the UTF-8 text of its JSON <c>data</c> array in one pass: each element
/// is parsed where it lies, straight into the buffer, while the array's syntax and its layout against
/// the shape (flat, or nested with every array as long as its dimension) are checked. It accepts only
/// what the JSON reader and the element readers accept and gives up on anything else, so the caller's
/// full reader words every error.
/// </summary>
internal static class JsonNumberArray
{
    /// <summary>
    /// Reads the array whose items start at <paramref name="position"/> (just past its '[') into
    /// <paramref name="destination"/>, which holds exactly the shape's element count. Nested arrays may
    /// open at most <paramref name="maxNesting"/> levels below it (the JSON reader's depth limit).
    /// On success <paramref name="end"/> is the index of the array's closing ']'.
    /// </summary>
    public static bool TryFill<T, TReader>(ReadOnlySpan<byte> json, int position, ReadOnlySpan<long> shape, int maxNesting, Span<T> destination, out int end)
        where T : unmanaged
        where TReader : struct, IJsonTextElementReader<T>
    {
        end = 0;
        if (shape.Length > RequestLimits.MaxDimensions)
        {
            return false;
        }

        Span<long> items = stackalloc long[RequestLimits.MaxDimensions];
        var last = shape.Length - 1;
        var i = position;
        var index = 0;
        var level = 0;
        var nested = false;
        var first = true;
        var open = true;
        items[0] = 0;
        while (true)
        {
            i = SkipWhitespace(json, i);
            if ((uint)i >= (uint)json.Length)
            {
                return false;
            }

            // Right after '[' the array may end at once; after a ',' an item must follow.
            if (!open || json[i] != (byte)']')
            {
                if (first)
                {
                    nested = last >= 1 && json[i] == (byte)'[';
                    first = false;
                }

                items[level]++;
                if (nested && level < last)
                {
                    if (json[i] != (byte)'[' || level == maxNesting)
                    {
                        return false;
                    }

                    items[++level] = 0;
                    i++;
                    open = true;
                    continue;
                }

                if (index == destination.Length || !TReader.TryRead(json, ref i, out destination[index]))
                {
                    return false;
                }

                index++;

                // The text clients send, "v,v,v" without whitespace: straight on to the next number of
                // this array. Anything else (whitespace, ']', another array) takes the general steps.
                while ((uint)(i + 1) < (uint)json.Length && json[i] == (byte)',' && json[i + 1] > (byte)' ')
                {
                    i++;
                    items[level]++;
                    if (index == destination.Length || !TReader.TryRead(json, ref i, out destination[index]))
                    {
                        return false;
                    }

                    index++;
                }

                i = SkipWhitespace(json, i);
                if ((uint)i >= (uint)json.Length)
                {
                    return false;
                }
            }

            // After an item (or at an empty array's ']'): close arrays, then a ',' goes on.
            while (json[i] == (byte)']')
            {
                // Flat: one array of every element; nested: each array as long as its dimension.
                if (nested ? items[level] != shape[level] : index != destination.Length)
                {
                    return false;
                }

                if (level == 0)
                {
                    end = i;
                    return true;
                }

                level--;
                i = SkipWhitespace(json, i + 1);
                if ((uint)i >= (uint)json.Length)
                {
                    return false;
                }
            }

            if (json[i] != (byte)',')
            {
                return false;
            }

            i++;
            open = false;
        }
    }

    // Inlined: the JIT left it a call, made twice per number.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while ((uint)i < (uint)json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }
}
