package criclient

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The CRI messages the client exchanges, encoded and decoded by hand with
// protowire: field numbers from k8s.io/cri-api/pkg/apis/runtime/v1/api.proto.
// Generated code would drag in protobuf reflection and grpc-go; fields not
// listed here are skipped, so newer runtimes' additions do no harm.

const (
	methodVersion          = "/runtime.v1.RuntimeService/Version"
	methodContainerStatus  = "/runtime.v1.RuntimeService/ContainerStatus"
	methodPodSandboxStatus = "/runtime.v1.RuntimeService/PodSandboxStatus"
	methodListPodSandbox   = "/runtime.v1.RuntimeService/ListPodSandbox"
)

// podSandboxStates and containerStates name the CRI enums by number.
var (
	podSandboxStates = []string{"SANDBOX_READY", "SANDBOX_NOTREADY"}
	containerStates  = []string{"CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN"}
)

func enumName(names []string, v uint64) string {
	if v < uint64(len(names)) {
		return names[v]
	}
	return fmt.Sprintf("UNKNOWN_STATE_%d", v)
}

// encodeVersionRequest: VersionRequest{version = 1}, the CRI API version we speak.
func encodeVersionRequest() []byte {
	return protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "v1")
}

// encodeStatusRequest is ContainerStatusRequest{container_id = 1, verbose = 2}
// and PodSandboxStatusRequest{pod_sandbox_id = 1, verbose = 2}: same layout.
func encodeStatusRequest(id string, verbose bool) []byte {
	b := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), id)
	if verbose {
		b = protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.VarintType), 1)
	}
	return b
}

// field is one decoded field: v for length-delimited, n for varint.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   []byte
	n   uint64
}

// eachField walks a message's fields in wire order; fixed32/64 and groups
// are skipped (none of the fields read here use them).
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("protobuf tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.BytesType:
			f.v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			f.n, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("protobuf field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if typ == protowire.BytesType || typ == protowire.VarintType {
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f field) bytes(num protowire.Number) ([]byte, bool) {
	return f.v, f.num == num && f.typ == protowire.BytesType
}

func (f field) varint(num protowire.Number) (uint64, bool) {
	return f.n, f.num == num && f.typ == protowire.VarintType
}

// versionResponse: version = 1, runtime_name = 2, runtime_version = 3,
// runtime_api_version = 4.
type versionResponse struct {
	RuntimeName, RuntimeVersion, RuntimeAPIVersion string
}

func decodeVersionResponse(b []byte) (versionResponse, error) {
	var r versionResponse
	err := eachField(b, func(f field) error {
		if f.typ == protowire.BytesType {
			switch f.num {
			case 2:
				r.RuntimeName = string(f.v)
			case 3:
				r.RuntimeVersion = string(f.v)
			case 4:
				r.RuntimeAPIVersion = string(f.v)
			}
		}
		return nil
	})
	return r, err
}

// decodeInfoEntry adds one map<string,string> entry (key = 1, value = 2) to m.
func decodeInfoEntry(m map[string]string, b []byte) error {
	var k, v string
	err := eachField(b, func(f field) error {
		if p, ok := f.bytes(1); ok {
			k = string(p)
		}
		if p, ok := f.bytes(2); ok {
			v = string(p)
		}
		return nil
	})
	m[k] = v
	return err
}

// containerStatusResponse: status = 1 (ContainerStatus: state = 3), info = 2.
type containerStatusResponse struct {
	State string
	Info  map[string]string
}

func decodeContainerStatusResponse(b []byte) (containerStatusResponse, error) {
	r := containerStatusResponse{State: containerStates[0], Info: map[string]string{}}
	err := eachField(b, func(f field) error {
		if p, ok := f.bytes(1); ok {
			return eachField(p, func(f field) error {
				if v, ok := f.varint(3); ok {
					r.State = enumName(containerStates, v)
				}
				return nil
			})
		}
		if p, ok := f.bytes(2); ok {
			return decodeInfoEntry(r.Info, p)
		}
		return nil
	})
	return r, err
}

// podSandbox is what ListPodSandbox's PodSandbox (id = 1, metadata = 2,
// state = 3, created_at = 4) and PodSandboxStatus (the same four) carry.
// Metadata: name = 1, uid = 2, namespace = 3. A state left out is 0, READY.
type podSandbox struct {
	ID, Name, UID, Namespace, State string
	CreatedAt                       int64
}

func decodePodSandbox(b []byte) (podSandbox, error) {
	s := podSandbox{State: podSandboxStates[0]}
	err := eachField(b, func(f field) error {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			s.ID = string(f.v)
		case f.num == 2 && f.typ == protowire.BytesType:
			return eachField(f.v, func(f field) error {
				if f.typ == protowire.BytesType {
					switch f.num {
					case 1:
						s.Name = string(f.v)
					case 2:
						s.UID = string(f.v)
					case 3:
						s.Namespace = string(f.v)
					}
				}
				return nil
			})
		case f.num == 3 && f.typ == protowire.VarintType:
			s.State = enumName(podSandboxStates, f.n)
		case f.num == 4 && f.typ == protowire.VarintType:
			s.CreatedAt = int64(f.n)
		}
		return nil
	})
	return s, err
}

// decodeListPodSandboxResponse: items = 1, repeated PodSandbox.
func decodeListPodSandboxResponse(b []byte) ([]podSandbox, error) {
	var out []podSandbox
	err := eachField(b, func(f field) error {
		if p, ok := f.bytes(1); ok {
			s, err := decodePodSandbox(p)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// podSandboxStatusResponse: status = 1 (PodSandboxStatus), info = 2.
type podSandboxStatusResponse struct {
	Status    podSandbox
	HasStatus bool
	Info      map[string]string
}

func decodePodSandboxStatusResponse(b []byte) (podSandboxStatusResponse, error) {
	r := podSandboxStatusResponse{Info: map[string]string{}}
	err := eachField(b, func(f field) error {
		if p, ok := f.bytes(1); ok {
			s, err := decodePodSandbox(p)
			r.Status, r.HasStatus = s, true
			return err
		}
		if p, ok := f.bytes(2); ok {
			return decodeInfoEntry(r.Info, p)
		}
		return nil
	})
	return r, err
}
