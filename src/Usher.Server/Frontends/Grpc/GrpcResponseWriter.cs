using System.Globalization;
using Google.Protobuf;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Protos;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// Encodes an <see cref="InferenceResponse"/> as a <c>ModelInferResponse</c>. Outputs go in
/// <c>raw_output_contents</c> when the request sent raw inputs, or when an output is FP16 or BF16
/// (which have no typed field; the protocol forbids mixing raw and typed outputs); otherwise in
/// each output's typed <c>contents</c>.
/// </summary>
internal static class GrpcResponseWriter
{
    public static ModelInferResponse Write(InferenceResponse response, bool raw)
    {
        ArgumentNullException.ThrowIfNull(response);
        var message = new ModelInferResponse
        {
            ModelName = response.ModelName,
            ModelVersion = response.ModelVersion.ToString(CultureInfo.InvariantCulture),
            Id = response.Id ?? string.Empty,
        };
        GrpcParameters.Write(response.Parameters, message.Parameters);
        raw = raw || response.Outputs.Any(o => TypedContents.FieldName(o.DataType) is null);
        foreach (var tensor in response.Outputs)
        {
            var output = new ModelInferResponse.Types.InferOutputTensor
            {
                Name = tensor.Name,
                Datatype = tensor.DataType.ToProtocolName(),
            };
            output.Shape.AddRange(tensor.Shape);
            if (raw)
            {
                // The output buffer is the backend's own and immutable: wrap it, do not copy it.
                message.RawOutputContents.Add(tensor.DataType == DataType.Bytes
                    ? UnsafeByteOperations.UnsafeWrap(BytesElements.ToArray(tensor.Strings!))
                    : UnsafeByteOperations.UnsafeWrap(tensor.Data));
            }
            else
            {
                output.Contents = TypedContents.Write(tensor);
            }

            message.Outputs.Add(output);
        }

        return message;
    }
}
