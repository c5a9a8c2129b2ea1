using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Protos;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// Decodes a <c>ModelInferRequest</c> (protocol §6) into an <see cref="InferenceRequest"/>. Raw
/// contents become the tensors' data as they are, without a copy; typed contents are copied into
/// little-endian buffers. Every problem is an <see cref="InferenceErrorKind.InvalidArgument"/> error
/// naming the input.
/// </summary>
internal static class GrpcRequestReader
{
    /// <summary>
    /// Decodes <paramref name="request"/>; what the tensors copy out of the message is reserved in
    /// <paramref name="memory"/> first, and each tensor is checked against its limit before it is materialised.
    /// </summary>
    public static InferenceResult<InferenceRequest> Read(ModelInferRequest request, RequestMemory? memory = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        memory ??= RequestMemory.Default;
        if (string.IsNullOrEmpty(request.ModelName))
        {
            return InferenceError.Invalid("model_name is required");
        }

        var version = ModelLookup.ParseVersion(request.ModelName, request.ModelVersion);
        if (!version.IsSuccess)
        {
            return version.Error;
        }

        if (request.Inputs.Count == 0)
        {
            return InferenceError.Invalid("'inputs' must name at least one input, got none");
        }

        var raw = request.RawInputContents;
        if (raw.Count > 0 && raw.Count != request.Inputs.Count)
        {
            return InferenceError.Invalid(
                $"raw_input_contents has {raw.Count} entries but the request has {request.Inputs.Count} inputs; send one entry per input, in the order of 'inputs'");
        }

        var parameters = GrpcParameters.Read(request.Parameters, "request");
        if (!parameters.IsSuccess)
        {
            return parameters.Error;
        }

        var tensors = new Tensor[request.Inputs.Count];
        for (var i = 0; i < tensors.Length; i++)
        {
            var tensor = ReadInput(request.Inputs[i], i, raw.Count > 0 ? raw[i] : null, memory);
            if (!tensor.IsSuccess)
            {
                return tensor.Error;
            }

            tensors[i] = tensor.Value;
        }

        RequestedOutput[]? outputs = null;
        if (request.Outputs.Count > 0)
        {
            outputs = new RequestedOutput[request.Outputs.Count];
            for (var i = 0; i < outputs.Length; i++)
            {
                var output = request.Outputs[i];
                if (string.IsNullOrEmpty(output.Name))
                {
                    return InferenceError.Invalid($"outputs[{i}]: 'name' is required");
                }

                var outputParameters = GrpcParameters.Read(output.Parameters, $"output '{output.Name}'");
                if (!outputParameters.IsSuccess)
                {
                    return outputParameters.Error;
                }

                outputs[i] = new RequestedOutput(output.Name, outputParameters.Value);
            }
        }

        return InferenceResult<InferenceRequest>.Success(new InferenceRequest
        {
            ModelName = request.ModelName,
            ModelVersion = version.Value,
            Id = string.IsNullOrEmpty(request.Id) ? null : request.Id,
            Parameters = parameters.Value,
            Inputs = tensors,
            Outputs = outputs,
        });
    }

    private static InferenceResult<Tensor> ReadInput(ModelInferRequest.Types.InferInputTensor input, int position, Google.Protobuf.ByteString? raw, RequestMemory memory)
    {
        if (string.IsNullOrEmpty(input.Name))
        {
            return InferenceError.Invalid($"inputs[{position}]: 'name' is required");
        }

        var owner = $"input '{EchoText.Value(input.Name)}'";
        if (!DataTypes.TryParse(input.Datatype, out var type))
        {
            return InferenceError.Invalid($"{owner}: 'datatype' must be one of {string.Join(", ", DataTypes.ProtocolNames)}, got '{EchoText.Value(input.Datatype)}'");
        }

        if (RequestLimits.CheckRank(input.Name, input.Shape.Count) is { } tooMany)
        {
            return tooMany;
        }

        var shape = new long[input.Shape.Count];
        long count = 1;
        for (var axis = 0; axis < shape.Length; axis++)
        {
            var dim = input.Shape[axis];
            if (dim < 0)
            {
                return InferenceError.Invalid($"{owner}: shape[{axis}] is {dim}; dimensions must be non-negative integers");
            }

            if (dim != 0 && count > long.MaxValue / dim)
            {
                return InferenceError.Invalid($"{owner}: shape {TensorShape.Format([.. input.Shape])} has more elements than a 64-bit count holds");
            }

            shape[axis] = dim;
            count *= dim;
        }

        if (raw is null)
        {
            return TypedContents.Read(input.Name, type, shape, count, input.Contents, memory);
        }

        if (input.Contents is not null)
        {
            return InferenceError.Invalid($"{owner}: has contents, but the request uses raw_input_contents; send every input one way or the other");
        }

        if (type == DataType.Bytes)
        {
            // The elements are copied out of the message: each an array of its own.
            var decoded = RequestLimits.DecodedBytes(type, count, raw.Length);
            if (memory.ReserveTensor(input.Name, type, shape, decoded, decoded) is { } refused)
            {
                return refused;
            }

            var elements = BytesElements.Read(raw.Span, count, owner);
            return elements.IsSuccess ? InferenceResult<Tensor>.Success(Tensor.FromStrings(input.Name, shape, elements.Value)) : elements.Error;
        }

        var expected = count * type.ElementSize();
        if (raw.Length != expected)
        {
            return InferenceError.Invalid(
                $"{owner}: {type.ToProtocolName()} {TensorShape.Format(shape)} needs {expected} bytes of raw_input_contents, got {raw.Length}");
        }

        if (memory.ReserveTensor(input.Name, type, shape, expected, 0) is { } tooLarge)
        {
            return tooLarge;
        }

        // The ByteString's own memory: the parser's one copy is the only one.
        return InferenceResult<Tensor>.Success(Tensor.FromBytes(input.Name, type, shape, raw.Memory));
    }
}
