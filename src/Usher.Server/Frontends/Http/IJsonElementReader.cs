using System.Text.Json;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Converts one JSON tensor element into the little-endian bytes of a fixed-size datatype. Static,
/// so that the per-element loop is specialised for each datatype, with no virtual call or boxing.
/// </summary>
internal interface IJsonElementReader
{
    /// <summary>Bytes per element.</summary>
    static abstract int Size { get; }

    /// <summary>What an element must be, for messages: "an integer".</summary>
    static abstract string Expected { get; }

    /// <summary>Writes the bytes of the element <paramref name="reader"/> stands on into <paramref name="destination"/> (exactly <see cref="Size"/> long).</summary>
    static abstract JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination);
}
