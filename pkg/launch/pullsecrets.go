package launch

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// PullSecretRefs are the --image-pull-secret names as a pod spec takes them.
func PullSecretRefs(names []string) []corev1.LocalObjectReference {
	if len(names) == 0 {
		return nil
	}
	refs := make([]corev1.LocalObjectReference, 0, len(names))
	for _, n := range names {
		refs = append(refs, corev1.LocalObjectReference{Name: n})
	}
	return refs
}

// CheckPullSecrets fails when the pod lacks one of the named image pull
// secrets. An ephemeral container has no pull secrets of its own: kubelet
// pulls its image with the pod's spec.imagePullSecrets, which cannot change
// on a running pod. So --image-pull-secret can only be honoured in pod mode
// when the pod already lists the secret, and saying so up front beats an
// ImagePullBackOff after the patch.
func CheckPullSecrets(pod *corev1.Pod, names []string) error {
	var have, missing []string
	for _, ref := range pod.Spec.ImagePullSecrets {
		have = append(have, ref.Name)
	}
	for _, n := range names {
		if !slices.Contains(have, n) && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	listed := "none"
	if len(have) > 0 {
		listed = strings.Join(have, ", ")
	}
	return fmt.Errorf("pod %s/%s does not list image pull secret %s (its imagePullSecrets: %s): the probe runs as an ephemeral "+
		"container, which pulls with its pod's own imagePullSecrets, and a running pod's spec cannot change. Add the secret to the "+
		"pod's spec.imagePullSecrets (or to its ServiceAccount's, for pods created afterwards) and recreate the pod, pre-load the "+
		"image on node %s, or leave out --image-pull-secret if the pod's own secrets can pull it",
		pod.Namespace, pod.Name, strings.Join(missing, ", "), listed, pod.Spec.NodeName)
}
