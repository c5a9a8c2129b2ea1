using System.Globalization;
using System.Text.Json;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads and writes a protocol <c>$parameters</c> object, whose values are strings, numbers or
/// booleans. Numbers become <see cref="long"/>, <see cref="ulong"/> (integers above
/// <see cref="long.MaxValue"/>) or <see cref="double"/>.
/// </summary>
internal static class JsonParameters
{
    /// <summary>The parameters of a message that has none.</summary>
    public static readonly IReadOnlyDictionary<string, object> Empty = new Dictionary<string, object>();

    /// <summary>Reads a parameters object; <paramref name="owner"/> names its holder in errors ("input 'x'").</summary>
    public static InferenceResult<IReadOnlyDictionary<string, object>> Read(JsonSlice element, string owner)
    {
        if (element.IsNull)
        {
            return InferenceResult<IReadOnlyDictionary<string, object>>.Success(Empty);
        }

        if (!element.IsObject)
        {
            return InferenceError.Invalid($"{owner}: 'parameters' must be an object, got {JsonText.Describe(element)}");
        }

        Dictionary<string, object>? parameters = null;
        var properties = element.Properties();
        while (properties.MoveNext())
        {
            if (!properties.TryGetName(out var key))
            {
                return JsonStrings.NotText($"{owner}: a parameter's name");
            }

            var value = properties.Value;
            object parsed;
            switch (value.Token)
            {
                case JsonTokenType.String:
                    if (!JsonStrings.TryGet(value, out var text))
                    {
                        return JsonStrings.NotText($"{owner}: parameter '{EchoText.Value(key)}'");
                    }

                    parsed = text;
                    break;
                case JsonTokenType.True:
                    parsed = true;
                    break;
                case JsonTokenType.False:
                    parsed = false;
                    break;
                case JsonTokenType.Number:
                    if (value.TryGetInt64(out var signed))
                    {
                        parsed = signed;
                    }
                    else if (value.TryGetUInt64(out var unsigned))
                    {
                        parsed = unsigned;
                    }
                    else if (value.TryGetDouble(out var real) && double.IsFinite(real))
                    {
                        parsed = real;
                    }
                    else
                    {
                        return InferenceError.Invalid(
                            $"{owner}: parameter '{EchoText.Value(key)}': {JsonText.Describe(value)} is out of range for a 64-bit number");
                    }

                    break;
                default:
                    return InferenceError.Invalid(
                        $"{owner}: parameter '{EchoText.Value(key)}' must be a string, number or boolean, got {JsonText.Describe(value)}");
            }

            parameters ??= new Dictionary<string, object>(StringComparer.Ordinal);
            if (!parameters.TryAdd(key, parsed))
            {
                return InferenceError.Invalid($"{owner}: parameter '{EchoText.Value(key)}' appears twice");
            }
        }

        return InferenceResult<IReadOnlyDictionary<string, object>>.Success(parameters ?? Empty);
    }

    /// <summary>Writes <c>"parameters": {...}</c>, or nothing when there are none.</summary>
    public static void WriteProperty(Utf8JsonWriter writer, IReadOnlyDictionary<string, object> parameters)
    {
        if (parameters.Count == 0)
        {
            return;
        }

        writer.WritePropertyName("parameters"u8);
        writer.WriteStartObject();
        foreach (var (name, value) in parameters)
        {
            writer.WritePropertyName(name);
            switch (value)
            {
                case string text:
                    writer.WriteStringValue(text);
                    break;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    break;
                case long signed:
                    writer.WriteNumberValue(signed);
                    break;
                case int signed:
                    writer.WriteNumberValue(signed);
                    break;
                case ulong unsigned:
                    writer.WriteNumberValue(unsigned);
                    break;
                case double real:
                    JsonNumbers.WriteDouble(writer, real);
                    break;
                case float real:
                    JsonNumbers.WriteSingle(writer, real);
                    break;
                default:
                    // The core promises the types above; anything else is still answered, as text.
                    writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
            }
        }

        writer.WriteEndObject();
    }
}
