namespace Usher.Server.Frontends.Http;

/// <summary>
/// A numeric <see cref="IJsonElementReader"/> that also reads its element straight from the JSON
/// text, without a token reader: what lets <see cref="JsonNumberArray"/> scan a <c>data</c> array once.
/// </summary>
/// <typeparam name="T">The element's .NET type, as the tensor's buffer holds it.</typeparam>
internal interface IJsonTextElementReader<T> : IJsonElementReader
    where T : unmanaged
{
    /// <summary>
    /// Reads the element that starts at <paramref name="position"/> in <paramref name="json"/> and
    /// moves <paramref name="position"/> past it; false for anything the token reader would not accept
    /// as this type, or would word differently (left to it).
    /// </summary>
    static abstract bool TryRead(ReadOnlySpan<byte> json, ref int position, out T value);
}
