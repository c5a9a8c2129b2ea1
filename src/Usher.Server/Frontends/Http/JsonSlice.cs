using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// One JSON value of a request body, kept as its bytes and first token instead of a node of a parsed
/// document: what <see cref="JsonInferenceRequestReader"/> holds of a field until it reads it. The body
/// is checked as a whole (<see cref="Validate"/>) before any slice is taken, so reading a slice again
/// never fails on syntax; reading allocates nothing beyond what the caller keeps.
/// </summary>
internal readonly struct JsonSlice
{
    /// <summary>Deep enough for nested data of any tensor rank a model uses (<see cref="RequestLimits.MaxDimensions"/>).</summary>
    public static readonly JsonReaderOptions Options = new() { MaxDepth = RequestLimits.MaxDimensions };

    private readonly ReadOnlyMemory<byte> _raw;

    private JsonSlice(ReadOnlyMemory<byte> raw, JsonTokenType token)
    {
        _raw = raw;
        Token = raw.IsEmpty ? JsonTokenType.None : token;
    }

    /// <summary>The value's first token; <see cref="JsonTokenType.None"/> for a field that is absent.</summary>
    public JsonTokenType Token { get; }

    public bool IsPresent => Token != JsonTokenType.None;

    public bool IsArray => Token == JsonTokenType.StartArray;

    public bool IsObject => Token == JsonTokenType.StartObject;

    public bool IsString => Token == JsonTokenType.String;

    public bool IsNumber => Token == JsonTokenType.Number;

    public bool IsNull => Token == JsonTokenType.Null;

    /// <summary>The value's JSON text: a string with its quotes, an array from '[' to ']'.</summary>
    public ReadOnlySpan<byte> Raw => _raw.Span;

    /// <summary>
    /// Reads the whole of <paramref name="utf8Json"/> once, as the JSON parser would, and gives its
    /// root value; the exception is the parser's own, with its position.
    /// </summary>
    /// <exception cref="JsonException">The body is not one well-formed JSON value within the depth limit.</exception>
    public static JsonSlice Validate(ReadOnlyMemory<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json.Span, Options);
        reader.Read();
        var root = At(utf8Json, ref reader);

        // Anything but whitespace after the value makes Read throw.
        reader.Read();
        return root;
    }

    /// <summary>The value whose first token <paramref name="reader"/> (over <paramref name="source"/>) stands on; the reader ends on its last token.</summary>
    public static JsonSlice At(ReadOnlyMemory<byte> source, ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        var token = reader.TokenType;
        reader.Skip();
        return new JsonSlice(source[start..(int)reader.BytesConsumed], token);
    }

    /// <summary>The value inside this one that <paramref name="reader"/>, from <see cref="Reader"/>, stands on; the reader ends on its last token.</summary>
    public JsonSlice Inner(ref Utf8JsonReader reader) => At(_raw, ref reader);

    /// <summary>A reader over this value, before its first token.</summary>
    public Utf8JsonReader Reader() => new(_raw.Span, Options);

    /// <summary>The items of an array.</summary>
    public ArrayItems Items() => new(_raw);

    /// <summary>The properties of an object.</summary>
    public ObjectProperties Properties() => new(_raw);

    /// <summary>The number of items of an array: one pass over its tokens, nothing allocated.</summary>
    public int ArrayLength()
    {
        var length = 0;
        foreach (var _ in Items())
        {
            length++;
        }

        return length;
    }

    /// <summary>The first item of a non-empty array.</summary>
    public JsonSlice FirstItem()
    {
        var items = Items();
        return items.MoveNext() ? items.Current : default;
    }

    /// <summary>The text of a string value, or false when it is not valid UTF-8 or escapes a lone surrogate.</summary>
    public bool TryGetString([NotNullWhen(true)] out string? value)
    {
        var reader = Reader();
        reader.Read();
        return TryGetString(ref reader, out value);
    }

    /// <summary>Whether a string value is <paramref name="utf8"/> once unescaped; false too for text that is not valid.</summary>
    public bool ValueEquals(ReadOnlySpan<byte> utf8)
    {
        var reader = Reader();
        reader.Read();
        return ValueEquals(ref reader, utf8);
    }

    public bool TryGetInt64(out long value)
    {
        var reader = Reader();
        reader.Read();
        return reader.TryGetInt64(out value);
    }

    public bool TryGetUInt64(out ulong value)
    {
        var reader = Reader();
        reader.Read();
        return reader.TryGetUInt64(out value);
    }

    public bool TryGetDouble(out double value)
    {
        var reader = Reader();
        reader.Read();
        return reader.TryGetDouble(out value);
    }

    /// <summary>The string (or property name) at <paramref name="reader"/>, or false when it is not valid text.</summary>
    public static bool TryGetString(ref Utf8JsonReader reader, [NotNullWhen(true)] out string? value)
    {
        try
        {
            value = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            // GetString's only way to say the bytes are not UTF-8 or the escapes spell a lone surrogate.
            value = null;
            return false;
        }
    }

    /// <summary>Whether the string at <paramref name="reader"/> is <paramref name="utf8"/>; false for text that is not valid.</summary>
    public static bool ValueEquals(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan.SequenceEqual(utf8);
        }

        try
        {
            return reader.ValueTextEquals(utf8);
        }
        catch (InvalidOperationException)
        {
            // Escapes that spell a lone surrogate: equal to no text.
            return false;
        }
    }

    /// <summary>Enumerates the items of an array, each as a slice.</summary>
    internal ref struct ArrayItems
    {
        private readonly ReadOnlyMemory<byte> _source;
        private Utf8JsonReader _reader;

        public ArrayItems(ReadOnlyMemory<byte> source)
        {
            _source = source;
            _reader = new Utf8JsonReader(source.Span, Options);
            _reader.Read();
        }

        public JsonSlice Current { get; private set; }

        public readonly ArrayItems GetEnumerator() => this;

        public bool MoveNext()
        {
            if (!_reader.Read() || _reader.TokenType == JsonTokenType.EndArray)
            {
                return false;
            }

            Current = At(_source, ref _reader);
            return true;
        }
    }

    /// <summary>Enumerates the properties of an object: the name at <see cref="NameEquals"/>, the value as <see cref="Value"/>.</summary>
    internal ref struct ObjectProperties
    {
        private readonly ReadOnlyMemory<byte> _source;
        private Utf8JsonReader _reader;
        private Utf8JsonReader _name;

        public ObjectProperties(ReadOnlyMemory<byte> source)
        {
            _source = source;
            _reader = new Utf8JsonReader(source.Span, Options);
            _reader.Read();
        }

        public JsonSlice Value { get; private set; }

        public bool MoveNext()
        {
            if (!_reader.Read() || _reader.TokenType != JsonTokenType.PropertyName)
            {
                return false;
            }

            _name = _reader;
            _reader.Read();
            Value = At(_source, ref _reader);
            return true;
        }

        /// <summary>Whether the property's name, unescaped, is <paramref name="utf8"/>.</summary>
        public bool NameEquals(ReadOnlySpan<byte> utf8) => JsonSlice.ValueEquals(ref _name, utf8);

        /// <summary>The property's name, or false when it is not valid text.</summary>
        public bool TryGetName([NotNullWhen(true)] out string? name) => TryGetString(ref _name, out name);
    }
}
