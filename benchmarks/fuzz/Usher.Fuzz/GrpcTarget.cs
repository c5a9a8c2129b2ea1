using Google.Protobuf;
using Usher.Server.Frontends.Grpc;
using Usher.Server.Protos;

namespace Usher.Fuzz;

/// <summary>
/// A <c>ModelInfer</c> message's bytes, as the server receives them: parsed (a message that does not parse
/// is INVALID_ARGUMENT from <c>CheckedRequestBinder</c>, with the field <c>ProtoTextFinder</c> names),
/// then read into tensors.
/// </summary>
internal static class GrpcTarget
{
    public static void Run(byte[] bytes)
    {
        ModelInferRequest request;
        try
        {
            request = ModelInferRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            _ = ProtoTextFinder.FindInvalidString(ModelInferRequest.Descriptor, bytes);
            return;
        }

        var read = GrpcRequestReader.Read(request);
        if (read.IsSuccess)
        {
            Expect.Declared(read.Value);
        }
        else
        {
            // A model version that is not a positive integer is an unknown version, as over REST (404).
            Expect.ClientError(read.Error, notFoundAllowed: true);
        }
    }
}
