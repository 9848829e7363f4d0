package xmconfig

import "testing"

// benchSrc is a typical labelled domain config.
const benchSrc = `# A labelled guest.
name = "bank-vm"
kernel = "/boot/vmlinuz-2.6.18-xen"
ramdisk = "/boot/initrd.img-2.6.18-xen"
memory = 256
vcpus = 2
disk = [
    'phy:sdb1,xvda1,w',
    'file:/srv/img/a.img,xvda2,r',
]
vif = ['mac=00:16:3e:00:00:01,bridge=xenbr0', '']
access_control = ['policy=acme,label=bank']
on_reboot = 'restart'
extra = "console=hvc0 xencons=tty"
root = "/dev/xvda1 ro"
`

func BenchmarkParse(b *testing.B) {
	src := []byte(benchSrc)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bank.cfg", src); err != nil {
			b.Fatal(err)
		}
	}
}
