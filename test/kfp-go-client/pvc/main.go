// Command kfp-pvc-protobuf creates, gets and lists PersistentVolumeClaims with client-go's typed clientset speaking
// protobuf (application/vnd.kubernetes.protobuf, what kubectl's and controllers' typed clients send), as a Kubernetes
// controller or KFP's driver would create a claim for a pipeline.
//
//	kfp-pvc-protobuf <kubeconfig> <namespace> <name>
//
// Prints one JSON line: {"created": <the claim as created>, "listed": <claims listed>, "sent": <the create's body type>}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: kfp-pvc-protobuf <kubeconfig> <namespace> <name>")
		os.Exit(2)
	}
	config, err := clientcmd.BuildConfigFromFlags("", os.Args[1])
	if err != nil {
		panic(err)
	}
	config.ContentType = "application/vnd.kubernetes.protobuf"
	config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	// What went over the wire: the request body's media type of the create.
	sent := ""
	config.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(req *http.Request) (*http.Response, error) {
			if req.Method == http.MethodPost {
				sent = req.Header.Get("Content-Type")
			}
			return rt.RoundTrip(req)
		})
	}
	clients, err := kubernetes.NewForConfig(config)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	claims := clients.CoreV1().PersistentVolumeClaims(os.Args[2])
	created, err := claims.Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: os.Args[3], Labels: map[string]string{"made-by": "client-go-protobuf"}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("16Mi")}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "create:", err)
		os.Exit(1)
	}
	list, err := claims.List(ctx, metav1.ListOptions{LabelSelector: "made-by=client-go-protobuf"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "list:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]interface{}{"created": created, "listed": len(list.Items), "sent": sent})
	fmt.Println(string(out))
}
