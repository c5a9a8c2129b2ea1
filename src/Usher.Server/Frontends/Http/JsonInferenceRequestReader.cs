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
    /// <summary>Decodes a request body that is one block of UTF-8 JSON.</summary>
    public static InferenceResult<InferenceRequest> Read(ReadOnlyMemory<byte> utf8Json, string modelName, long? modelVersion, RequestMemory? memory = null)
        => Read(utf8Json, BinarySection.None, modelName, modelVersion, memory);

    /// <summary>
    /// Decodes a JSON header followed by binary input data (protocol §5); the tensors of binary inputs
    /// are slices of <paramref name="binary"/>'s memory, which must outlive the request. Decoding reads
    /// the UTF-8 text as it is (no document is built): each tensor is checked against its limit and
    /// reserved in <paramref name="memory"/> before its buffer is allocated, and that buffer is all
    /// decoding allocates in proportion to the body.
    /// </summary>
    public static InferenceResult<InferenceRequest> Read(ReadOnlyMemory<byte> utf8Json, BinarySection binary, string modelName, long? modelVersion, RequestMemory? memory = null)
    {
        memory ??= RequestMemory.Default;
        if (JsonSinglePassReader.TryRead(utf8Json, memory, out var pass))
        {
            return Read(pass.Id, pass.Parameters, pass.Inputs, default, pass.Outputs, binary, modelName, modelVersion, memory);
        }

        JsonSlice root;
        try
        {
            // One pass over the whole body first, so that malformed JSON anywhere is reported as such
            // before any field is judged.
            root = JsonSlice.Validate(utf8Json);
        }
        catch (JsonException exception)
        {
            return Malformed(exception);
        }

        return Read(root, binary, modelName, modelVersion, memory);
    }

    /// <summary>Decodes a request body as the pipe hands it over, possibly in segments.</summary>
    public static InferenceResult<InferenceRequest> Read(ReadOnlySequence<byte> utf8Json, string modelName, long? modelVersion)
        => Read(utf8Json.IsSingleSegment ? utf8Json.First : utf8Json.ToArray(), BinarySection.None, modelName, modelVersion, RequestMemory.Default);

    private static InferenceResult<InferenceRequest> Read(JsonSlice root, BinarySection binary, string modelName, long? modelVersion, RequestMemory memory)
    {
        if (!root.IsObject)
        {
            return InferenceError.Invalid($"the request body must be a JSON object, got {JsonText.Describe(root)}");
        }

        JsonSlice id = default, parameters = default, inputs = default, outputs = default;
        var properties = root.Properties();
        while (properties.MoveNext())
        {
            if (properties.NameEquals("inputs"u8))
            {
                inputs = properties.Value;
            }
            else if (properties.NameEquals("id"u8))
            {
                id = properties.Value;
            }
            else if (properties.NameEquals("parameters"u8))
            {
                parameters = properties.Value;
            }
            else if (properties.NameEquals("outputs"u8))
            {
                outputs = properties.Value;
            }
        }

        return Read(id, parameters, null, inputs, outputs, binary, modelName, modelVersion, memory);
    }

    /// <summary>The request from its fields, judged in a fixed order; <paramref name="decoded"/> when the single pass read the inputs already.</summary>
    private static InferenceResult<InferenceRequest> Read(
        JsonSlice id, JsonSlice parameters, Tensor[]? decoded, JsonSlice inputs, JsonSlice outputs, BinarySection binary, string modelName, long? modelVersion, RequestMemory memory)
    {
        string? requestId = null;
        if (id.IsString)
        {
            if (!JsonStrings.TryGet(id, out requestId))
            {
                return JsonStrings.NotText("'id'");
            }
        }
        else if (id.IsPresent && !id.IsNull)
        {
            return InferenceError.Invalid($"'id' must be a string, got {JsonText.Describe(id)}");
        }

        var requestParameters = JsonParameters.Empty;
        if (parameters.IsPresent)
        {
            var read = JsonParameters.Read(parameters, "request");
            if (!read.IsSuccess)
            {
                return read.Error;
            }

            requestParameters = read.Value;
        }

        var tensors = decoded is not null ? InferenceResult<IReadOnlyList<Tensor>>.Success(decoded) : ReadInputs(inputs, binary, memory);
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

    private static InferenceResult<IReadOnlyList<Tensor>> ReadInputs(JsonSlice inputs, BinarySection binary, RequestMemory memory)
    {
        if (!inputs.IsPresent)
        {
            return InferenceError.Invalid("missing required field 'inputs'");
        }

        if (!inputs.IsArray)
        {
            return InferenceError.Invalid($"'inputs' must be an array of inputs, got {JsonText.Describe(inputs)}");
        }

        var tensors = new Tensor[inputs.ArrayLength()];
        if (tensors.Length == 0)
        {
            return InferenceError.Invalid("'inputs' must name at least one input, got []");
        }

        var position = 0;
        foreach (var input in inputs.Items())
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

    private static InferenceResult<Tensor> ReadInput(JsonSlice input, int position, BinarySection binary, RequestMemory memory)
    {
        if (!input.IsObject)
        {
            return InferenceError.Invalid($"inputs[{position}] must be an object, got {JsonText.Describe(input)}");
        }

        JsonSlice name = default, shape = default, datatype = default, parameters = default, data = default;
        var properties = input.Properties();
        while (properties.MoveNext())
        {
            if (properties.NameEquals("data"u8))
            {
                data = properties.Value;
            }
            else if (properties.NameEquals("name"u8))
            {
                name = properties.Value;
            }
            else if (properties.NameEquals("shape"u8))
            {
                shape = properties.Value;
            }
            else if (properties.NameEquals("datatype"u8))
            {
                datatype = properties.Value;
            }
            else if (properties.NameEquals("parameters"u8))
            {
                parameters = properties.Value;
            }
        }

        if (!name.IsString)
        {
            return InferenceError.Invalid(!name.IsPresent
                ? $"inputs[{position}]: missing required field 'name'"
                : $"inputs[{position}]: 'name' must be a string, got {JsonText.Describe(name)}");
        }

        if (!JsonStrings.TryGet(name, out var inputName))
        {
            return JsonStrings.NotText($"inputs[{position}]: 'name'");
        }

        if (!datatype.IsPresent)
        {
            return InferenceError.Invalid($"input '{EchoText.Value(inputName)}': missing required field 'datatype'");
        }

        if (!datatype.IsString || !JsonStrings.TryGet(datatype, out var typeName) || !DataTypes.TryParse(typeName, out var type))
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

        if (parameters.IsPresent)
        {
            var read = JsonParameters.Read(parameters, $"input '{inputName}'");
            if (!read.IsSuccess)
            {
                return read.Error;
            }

            if (read.Value.TryGetValue("binary_data_size", out var size))
            {
                if (data.IsPresent)
                {
                    return InferenceError.Invalid($"input '{inputName}' has both 'data' and parameters.binary_data_size; send its elements one way");
                }

                return binary.Take(inputName, type, dims.Value, elementCount, size, memory);
            }
        }

        if (!data.IsPresent)
        {
            return InferenceError.Invalid($"input '{EchoText.Value(inputName)}': missing required field 'data'");
        }

        return JsonTensorDataReader.Read(inputName, type, dims.Value, elementCount, data, memory);
    }

    private static InferenceResult<long[]> ReadShape(string inputName, JsonSlice shape)
    {
        if (!shape.IsPresent)
        {
            return InferenceError.Invalid($"input '{inputName}': missing required field 'shape'");
        }

        if (!shape.IsArray)
        {
            return InferenceError.Invalid(
                $"input '{inputName}': 'shape' must be an array of non-negative integers, got {JsonText.Describe(shape)}");
        }

        var rank = shape.ArrayLength();
        if (RequestLimits.CheckRank(inputName, rank) is { } tooMany)
        {
            return tooMany;
        }

        var dims = new long[rank];
        var axis = 0;
        foreach (var dim in shape.Items())
        {
            if (dim.IsNumber && dim.TryGetInt64(out var value))
            {
                if (value < 0)
                {
                    return InferenceError.Invalid(
                        $"input '{inputName}': shape[{axis}] is {value}; dimensions must be non-negative integers");
                }

                dims[axis++] = value;
                continue;
            }

            if (dim.IsNumber && dim.TryGetUInt64(out _))
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
