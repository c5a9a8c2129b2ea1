using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Decodes the JSON body of an inference request (protocol §2.5) into an <see cref="InferenceRequest"/>.
/// Every problem with the body is an <see cref="InferenceErrorKind.InvalidArgument"/> error that names
/// the field or input, what was expected and what came. Fields may come in any order; unknown fields
/// are ignored. Inputs' own parameters are checked but not kept, since a <see cref="Tensor"/> has none.
/// </summary>
internal static class JsonInferenceRequestReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // Deep enough for nested data of any tensor rank a model uses in practice.
        MaxDepth = 64,
    };

    /// <summary>Decodes a request body that is one block of UTF-8 JSON.</summary>
    public static InferenceResult<InferenceRequest> Read(ReadOnlyMemory<byte> utf8Json, string modelName, long? modelVersion, RequestMemory? memory = null)
        => Read(utf8Json, BinarySection.None, modelName, modelVersion, memory);

    /// <summary>
    /// Decodes a JSON header followed by binary input data (protocol §5); the tensors of binary inputs
    /// are slices of <paramref name="binary"/>'s memory, which must outlive the request. What decoding
    /// allocates is reserved in <paramref name="memory"/> first (the parser's structures, then each
    /// tensor), and each tensor is checked against its limit before it is materialised.
    /// </summary>
    public static InferenceResult<InferenceRequest> Read(ReadOnlyMemory<byte> utf8Json, BinarySection binary, string modelName, long? modelVersion, RequestMemory? memory = null)
    {
        memory ??= RequestMemory.Default;
        if (utf8Json.Length > JsonDataPrecheck.Above && JsonDataPrecheck.Check(utf8Json.Span) is { } tooMany)
        {
            return tooMany;
        }

        if (memory.Reserve(JsonDocumentCost.Estimate(utf8Json.Span), "parsing the JSON") is { } full)
        {
            return full;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, DocumentOptions);
        }
        catch (JsonException exception)
        {
            return Malformed(exception);
        }

        using (document)
        {
            return Read(document.RootElement, binary, modelName, modelVersion, memory);
        }
    }

    /// <summary>Decodes a request body as the pipe hands it over, possibly in segments.</summary>
    public static InferenceResult<InferenceRequest> Read(ReadOnlySequence<byte> utf8Json, string modelName, long? modelVersion)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, DocumentOptions);
        }
        catch (JsonException exception)
        {
            return Malformed(exception);
        }

        using (document)
        {
            return Read(document.RootElement, BinarySection.None, modelName, modelVersion, RequestMemory.Default);
        }
    }

    private static InferenceResult<InferenceRequest> Read(JsonElement root, BinarySection binary, string modelName, long? modelVersion, RequestMemory memory)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return InferenceError.Invalid($"the request body must be a JSON object, got {JsonText.Describe(root)}");
        }

        JsonElement id = default, parameters = default, inputs = default, outputs = default;
        foreach (var property in root.EnumerateObject())
        {
            if (property.NameEquals("inputs"u8))
            {
                inputs = property.Value;
            }
            else if (property.NameEquals("id"u8))
            {
                id = property.Value;
            }
            else if (property.NameEquals("parameters"u8))
            {
                parameters = property.Value;
            }
            else if (property.NameEquals("outputs"u8))
            {
                outputs = property.Value;
            }
        }

        string? requestId = null;
        if (id.ValueKind == JsonValueKind.String)
        {
            if (!JsonStrings.TryGet(id, out requestId))
            {
                return JsonStrings.NotText("'id'");
            }
        }
        else if (id.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            return InferenceError.Invalid($"'id' must be a string, got {JsonText.Describe(id)}");
        }

        var requestParameters = JsonParameters.Empty;
        if (parameters.ValueKind != JsonValueKind.Undefined)
        {
            var read = JsonParameters.Read(parameters, "request");
            if (!read.IsSuccess)
            {
                return read.Error;
            }

            requestParameters = read.Value;
        }

        var tensors = ReadInputs(inputs, binary, memory);
        if (!tensors.IsSuccess)
        {
            return tensors.Error;
        }

        if (binary.CheckConsumed() is { } leftOver)
        {
            return leftOver;
        }

        var requested = JsonRequestedOutputsReader.Read(outputs);
        if (!requested.IsSuccess)
        {
            return requested.Error;
        }

        return InferenceResult<InferenceRequest>.Success(new InferenceRequest
        {
            ModelName = modelName,
            ModelVersion = modelVersion,
            Id = requestId,
            Parameters = requestParameters,
            Inputs = tensors.Value,
            Outputs = requested.Value,
        });
    }

    private static InferenceResult<IReadOnlyList<Tensor>> ReadInputs(JsonElement inputs, BinarySection binary, RequestMemory memory)
    {
        if (inputs.ValueKind == JsonValueKind.Undefined)
        {
            return InferenceError.Invalid("missing required field 'inputs'");
        }

        if (inputs.ValueKind != JsonValueKind.Array)
        {
            return InferenceError.Invalid($"'inputs' must be an array of inputs, got {JsonText.Describe(inputs)}");
        }

        var tensors = new Tensor[inputs.GetArrayLength()];
        if (tensors.Length == 0)
        {
            return InferenceError.Invalid("'inputs' must name at least one input, got []");
        }

        var position = 0;
        foreach (var input in inputs.EnumerateArray())
        {
            var tensor = ReadInput(input, position, binary, memory);
            if (!tensor.IsSuccess)
            {
                return tensor.Error;
            }

            tensors[position++] = tensor.Value;
        }

        return InferenceResult<IReadOnlyList<Tensor>>.Success(tensors);
    }

    private static InferenceResult<Tensor> ReadInput(JsonElement input, int position, BinarySection binary, RequestMemory memory)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            return InferenceError.Invalid($"inputs[{position}] must be an object, got {JsonText.Describe(input)}");
        }

        JsonElement name = default, shape = default, datatype = default, parameters = default, data = default;
        foreach (var property in input.EnumerateObject())
        {
            if (property.NameEquals("data"u8))
            {
                data = property.Value;
            }
            else if (property.NameEquals("name"u8))
            {
                name = property.Value;
            }
            else if (property.NameEquals("shape"u8))
            {
                shape = property.Value;
            }
            else if (property.NameEquals("datatype"u8))
            {
                datatype = property.Value;
            }
            else if (property.NameEquals("parameters"u8))
            {
                parameters = property.Value;
            }
        }

        if (name.ValueKind != JsonValueKind.String)
        {
            return InferenceError.Invalid(name.ValueKind == JsonValueKind.Undefined
                ? $"inputs[{position}]: missing required field 'name'"
                : $"inputs[{position}]: 'name' must be a string, got {JsonText.Describe(name)}");
        }

        if (!JsonStrings.TryGet(name, out var inputName))
        {
            return JsonStrings.NotText($"inputs[{position}]: 'name'");
        }

        if (datatype.ValueKind == JsonValueKind.Undefined)
        {
            return InferenceError.Invalid($"input '{EchoText.Value(inputName)}': missing required field 'datatype'");
        }

        if (datatype.ValueKind != JsonValueKind.String || !JsonStrings.TryGet(datatype, out var typeName) || !DataTypes.TryParse(typeName, out var type))
        {
            return InferenceError.Invalid(
                $"input '{EchoText.Value(inputName)}': 'datatype' must be one of {string.Join(", ", DataTypes.ProtocolNames)}, got {JsonText.Describe(datatype)}");
        }

        var dims = ReadShape(inputName, shape);
        if (!dims.IsSuccess)
        {
            return dims.Error;
        }

        if (!TryCountElements(dims.Value, out var elementCount))
        {
            return InferenceError.Invalid(
                $"input '{inputName}': shape {TensorShape.Format(dims.Value)} has more elements than a 64-bit count holds");
        }

        if (parameters.ValueKind != JsonValueKind.Undefined)
        {
            var read = JsonParameters.Read(parameters, $"input '{inputName}'");
            if (!read.IsSuccess)
            {
                return read.Error;
            }

            if (read.Value.TryGetValue("binary_data_size", out var size))
            {
                if (data.ValueKind != JsonValueKind.Undefined)
                {
                    return InferenceError.Invalid($"input '{inputName}' has both 'data' and parameters.binary_data_size; send its elements one way");
                }

                return binary.Take(inputName, type, dims.Value, elementCount, size, memory);
            }
        }

        if (data.ValueKind == JsonValueKind.Undefined)
        {
            return InferenceError.Invalid($"input '{EchoText.Value(inputName)}': missing required field 'data'");
        }

        return JsonTensorDataReader.Read(inputName, type, dims.Value, elementCount, data, memory);
    }

    private static InferenceResult<long[]> ReadShape(string inputName, JsonElement shape)
    {
        if (shape.ValueKind == JsonValueKind.Undefined)
        {
            return InferenceError.Invalid($"input '{inputName}': missing required field 'shape'");
        }

        if (shape.ValueKind != JsonValueKind.Array)
        {
            return InferenceError.Invalid(
                $"input '{inputName}': 'shape' must be an array of non-negative integers, got {JsonText.Describe(shape)}");
        }

        if (RequestLimits.CheckRank(inputName, shape.GetArrayLength()) is { } tooMany)
        {
            return tooMany;
        }

        var dims = new long[shape.GetArrayLength()];
        var axis = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind == JsonValueKind.Number && dim.TryGetInt64(out var value))
            {
                if (value < 0)
                {
                    return InferenceError.Invalid(
                        $"input '{inputName}': shape[{axis}] is {value}; dimensions must be non-negative integers");
                }

                dims[axis++] = value;
                continue;
            }

            if (dim.ValueKind == JsonValueKind.Number && dim.TryGetUInt64(out _))
            {
                return InferenceError.Invalid(
                    $"input '{inputName}': shape[{axis}] is {JsonText.Describe(dim)}, more than the largest dimension supported, {long.MaxValue.ToString(CultureInfo.InvariantCulture)}");
            }

            return InferenceError.Invalid(
                $"input '{inputName}': shape[{axis}] must be a non-negative integer, got {JsonText.Describe(dim)}");
        }

        return InferenceResult<long[]>.Success(dims);
    }

    /// <summary>
    /// The product of the dimensions, multiplied in the same order as <see cref="TensorShape.ElementCount"/>
    /// so that a shape accepted here never makes it throw.
    /// </summary>
    private static bool TryCountElements(long[] dims, out long count)
    {
        count = 1;
        foreach (var dim in dims)
        {
            if (dim != 0 && count > long.MaxValue / dim)
            {
                return false;
            }

            count *= dim;
        }

        return true;
    }

    private static InferenceError Malformed(JsonException exception)
    {
        // The exception's message ends with its own " LineNumber: 2 | BytePositionInLine: 13.", zero-based;
        // the client gets one-based positions in a sentence instead.
        var message = exception.Message;
        var suffix = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix >= 0)
        {
            message = message[..suffix];
        }

        if (exception.LineNumber is { } line && exception.BytePositionInLine is { } position)
        {
            return InferenceError.Invalid($"malformed JSON at line {line + 1}, byte {position + 1}: {message}");
        }

        return InferenceError.Invalid($"malformed JSON: {message}");
    }
}
